import LogoutCore
import Testing

/// SSF-2: update (`PATCH`, SSF §8.1.1.3) and replace (`PUT`, SSF §8.1.1.4).
extension StreamRequestTests {
    static let revoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
    static let pushDelivery = #""delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/events"}"#

    /// SSF §8.1.1.3: members in a PATCH are updated, absent ones unchanged.
    @Test func updateChangesWhatItNamesAndKeepsTheRest() throws {
        let updated = try Self.change(.update, #"{"stream_id":"s1","description":"second"}"#, of: Self.pushStream)
        #expect(updated.description == "second")
        #expect(updated.eventsRequested == Self.pushStream.eventsRequested)
        #expect(updated.delivery == Self.pushStream.delivery)
        let narrowed = try Self.change(
            .update,
            #"{"stream_id":"s1","events_requested":["urn:e:other"]}"#,
            of: Self.pushStream
        )
        #expect(narrowed.eventsDelivered == [])
        #expect(narrowed.eventsRequested == [SSFEventType(rawValue: "urn:e:other")])
        #expect(narrowed.description == "first")
    }

    /// SSF §8.1.1.4: receiver-supplied members absent from a PUT are deleted.
    @Test func replaceDeletesWhatItLeavesOut() throws {
        let replaced = try Self.change(.replace, "{\"stream_id\":\"s1\",\(Self.pushDelivery)}", of: Self.pushStream)
        #expect(replaced.description == nil)
        #expect(replaced.eventsRequested == nil)
        #expect(replaced.eventsDelivered == [])
        #expect(replaced.streamID == "s1" && replaced.issuer == Self.pushStream.issuer)
    }

    /// Read, edit, replace: the JSON a receiver read is a valid PUT body of the same stream.
    @Test func theReadConfigurationReplacesItself() throws {
        let body = JSONSerializer.string(Self.pushStream.json)
        #expect(try Self.change(.replace, body, of: Self.pushStream) == Self.pushStream)
        #expect(try Self.change(.update, body, of: Self.pushStream) == Self.pushStream)
    }

    @Test(
        arguments: [
            ("SSF §8.1.1.3 stream_id is required", StreamRequest.Kind.update, #"{"description":"x"}"#, 400),
            ("SSF §8.1.1.4 stream_id is required", .replace, "{\(pushDelivery)}", 400),
            ("SSF §8.1.1.4 delivery is required in a replace", .replace, #"{"stream_id":"s1"}"#, 400),
            ("SSF §8.1.1.3 iss must match", .update, #"{"stream_id":"s1","iss":"https://other.example"}"#, 400),
            (
                "SSF §8.1.1.3 events_delivered must match the value before the update", .update,
                #"{"stream_id":"s1","events_requested":[],"events_delivered":[]}"#, 400
            ),
            ("another stream's id", .update, #"{"stream_id":"s2","description":"x"}"#, 404),
        ]
    )
    func changeRefuses(rule: String, kind: StreamRequest.Kind, body: String, status: Int) {
        let error = ssfRefusal { () throws(SSFRequestError) in try Self.change(kind, body, of: Self.pushStream) }
        #expect(error?.status == status, "\(rule)")
    }

    /// The events_delivered a receiver read is accepted with a change that alters it.
    @Test func eventsDeliveredIsComparedBeforeTheUpdate() throws {
        let body = #"{"stream_id":"s1","events_requested":[],"events_delivered":["\#(Self.revoked)"]}"#
        #expect(try Self.change(.update, body, of: Self.pushStream).eventsDelivered == [])
    }

    /// The receiver's secret stays with its endpoint: kept when the delivery is sent again for
    /// the same URL without it, dropped for another URL (whose owner would read it), removed by
    /// `null`, replaced by a new value.
    @Test(
        arguments: [
            ("same endpoint, header left out", "https://rx.example/events", "", secret as String?),
            ("another endpoint, header left out", "https://attacker.example/events", "", nil),
            ("same endpoint, header null", "https://rx.example/events", #","authorization_header":null"#, nil),
            (
                "same endpoint, new header", "https://rx.example/events", #","authorization_header":"Bearer new""#,
                "Bearer new"
            ),
        ]
    )
    func authorizationHeaderFollowsItsEndpoint(name: String, url: String, header: String, kept: String?) throws {
        let body = #"{"stream_id":"s1","delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"\#(url)"\#(header)}}"#
        for kind in [StreamRequest.Kind.update, .replace] {
            #expect(try Self.change(kind, body, of: Self.pushStream).delivery.authorizationHeader == kept, "\(name)")
        }
    }

    /// Push to poll: our URL and no header; poll to push: the receiver's URL.
    @Test func switchingDeliveryMethods() throws {
        let poll = try Self.change(
            .update,
            #"{"stream_id":"s1","delivery":{"method":"urn:ietf:rfc:8936"}}"#,
            of: Self.pushStream
        )
        #expect(poll.delivery == StreamDelivery(method: .poll, endpointURL: "https://logout.example/ssf/poll/s1"))
        let push = try Self.change(.update, "{\"stream_id\":\"s1\",\(Self.pushDelivery)}", of: poll)
        #expect(push.delivery == StreamDelivery(method: .push, endpointURL: "https://rx.example/events"))
    }
}
