import LogoutCore
import Testing

/// What we read from an upstream transmitter before our credential goes anywhere it names
/// (SSF §7.1–7.2, §8.1.1.1; RFC 8936 §2.3), and what we send it: one row per rule.
@Suite struct TransmitterExchangeTests {
    static let issuer = "https://hub.example"
    static let configurationURL = "https://hub.example/.well-known/ssf-configuration"

    static func metadata(_ members: String) -> [UInt8] {
        Array(("{\"issuer\":\"https://hub.example\"," + members + "}").utf8)
    }

    static let goodMetadata = metadata(
        #""configuration_endpoint":"https://hub.example/ssf/streams","#
            + #""verification_endpoint":"https://hub.example/ssf/verify","#
            + #""delivery_methods_supported":["urn:ietf:rfc:8935","urn:ietf:rfc:8936"]"#
    )

    @Test func goodMetadataGivesItsEndpoints() throws {
        let endpoints = try TransmitterExchange.endpoints(
            metadata: Self.goodMetadata,
            configurationURL: Self.configurationURL,
            issuer: Self.issuer,
            delivery: .poll,
            allowHTTP: false
        )
        #expect(endpoints.configurationEndpoint == "https://hub.example/ssf/streams")
        #expect(endpoints.verificationEndpoint == "https://hub.example/ssf/verify")
    }

    static let refusedMetadata: [(String, [UInt8], SSFDeliveryMethod, String)] = [
        ("not JSON", Array("<html>".utf8), .poll, "not a JSON object"),
        ("no issuer", Array(#"{"configuration_endpoint":"https://hub.example/s"}"#.utf8), .poll, "has no issuer"),
        (
            "another issuer (SSF §7.2)",
            Array(#"{"issuer":"https://evil.example","configuration_endpoint":"https://hub.example/s"}"#.utf8), .poll,
            "names issuer \"https://evil.example\""
        ),
        (
            "the delivery not offered",
            metadata(
                #""configuration_endpoint":"https://hub.example/s","delivery_methods_supported":["urn:ietf:rfc:8935"]"#
            ),
            .poll, "does not offer urn:ietf:rfc:8936"
        ),
        (
            "no stream management", metadata(#""verification_endpoint":"https://hub.example/v""#), .push,
            "no configuration_endpoint"
        ),
        (
            "an http endpoint", metadata(#""configuration_endpoint":"http://hub.example/s""#), .push,
            "is not an https URL"
        ),
        (
            "an endpoint on another origin: our token would go there",
            metadata(#""configuration_endpoint":"https://evil.example/s""#), .push, "not on the origin"
        ),
        (
            "another port is another origin",
            metadata(#""configuration_endpoint":"https://hub.example:8443/s""#), .push, "not on the origin"
        ),
        (
            "an endpoint that is no URL",
            metadata(#""configuration_endpoint":"https://hub.example/s","verification_endpoint":"v""#),
            .push, "verification_endpoint"
        ),
    ]

    @Test(arguments: refusedMetadata)
    func metadataIsRefused(row: (String, [UInt8], SSFDeliveryMethod, String)) {
        let (_, bytes, delivery, expected) = row
        #expect {
            _ = try TransmitterExchange.endpoints(
                metadata: bytes,
                configurationURL: Self.configurationURL,
                issuer: Self.issuer,
                delivery: delivery,
                allowHTTP: false
            )
        } throws: { error in
            (error as? TransmitterExchange.Failure)?.description.contains(expected) == true
        }
    }

    @Test func httpEndpointsOnlyWhereAllowed() throws {
        let bytes = Self.metadata(#""configuration_endpoint":"http://127.0.0.1:9/s""#)
        let endpoints = try TransmitterExchange.endpoints(
            metadata: bytes,
            configurationURL: "http://127.0.0.1:9/.well-known/ssf-configuration",
            issuer: Self.issuer,
            delivery: .push,
            allowHTTP: true
        )
        #expect(endpoints.configurationEndpoint == "http://127.0.0.1:9/s" && endpoints.verificationEndpoint == nil)
    }

    @Test func theCreationRequestAsksForSessionRevokedByTheDelivery() {
        let push = TransmitterExchange.creationRequest(
            delivery: .push,
            pushURL: "https://us/ssf/push/hub",
            description: "d"
        )
        #expect(push["delivery"] == ["method": "urn:ietf:rfc:8935", "endpoint_url": "https://us/ssf/push/hub"])
        #expect(push["events_requested"] == [.string(SSFEventType.sessionRevoked.rawValue)])
        let poll = TransmitterExchange.creationRequest(
            delivery: .poll,
            pushURL: "https://us/ssf/push/hub",
            description: "d"
        )
        #expect(
            poll["delivery"] == ["method": "urn:ietf:rfc:8936"],
            "a poll stream's URL is the transmitter's to assign"
        )
    }

    static let revoked = "\"" + SSFEventType.sessionRevoked.rawValue + "\""

    @Test func aCreatedPollStreamGivesItsIDAndPollURL() throws {
        let body =
            #"{"stream_id":"s-1","events_delivered":[\#(Self.revoked)],"#
            + #""delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://hub.example/poll/s-1"}}"#
        let created = try TransmitterExchange.createdStream(
            Array(body.utf8),
            delivery: .poll,
            allowHTTP: false,
            origin: Self.configurationURL
        )
        #expect(created.streamID == "s-1" && created.pollURL == "https://hub.example/poll/s-1")
        #expect(created.audience.isEmpty, "no aud given")
        let push = try TransmitterExchange.createdStream(
            Array(#"{"stream_id":"s-2","aud":["a","b"],"delivery":{"endpoint_url":"https://us/in"}}"#.utf8),
            delivery: .push,
            allowHTTP: false,
            origin: Self.configurationURL
        )
        #expect(push.audience == ["a", "b"] && push.pushURL == "https://us/in" && push.pollURL == nil)
    }

    /// A transmitter holding one stream per receiver lists it (an array, or the object alone):
    /// only one of our delivery is adoptable.
    @Test func existingStreamsAreReadForAdoption() {
        let list =
            #"[{"stream_id":"p","delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://us/in"}},"#
            + #"{"stream_id":"q","delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://hub.example/q"}},"#
            + #"{"stream_id":"r","delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://evil.example/r"}}]"#
        let poll = TransmitterExchange.existingStreams(
            Array(list.utf8),
            delivery: .poll,
            allowHTTP: false,
            origin: Self.configurationURL
        )
        #expect(poll.map(\.streamID) == ["q"], "a poll URL on another origin is not ours to poll")
        let one = #"{"stream_id":"p","delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://us/in"}}"#
        let push = TransmitterExchange.existingStreams(
            Array(one.utf8),
            delivery: .push,
            allowHTTP: false,
            origin: Self.configurationURL
        )
        #expect(push.map(\.pushURL) == ["https://us/in"])
        #expect(
            TransmitterExchange.existingStreams(Array("<html>".utf8), delivery: .push, allowHTTP: false, origin: "x")
                .isEmpty
        )
    }

    static let refusedStreams: [(String, String, SSFDeliveryMethod, String)] = [
        ("no stream id", #"{"events_delivered":[]}"#, .push, "no usable stream_id"),
        ("an empty stream id", #"{"stream_id":""}"#, .push, "no usable stream_id"),
        (
            "session-revoked not delivered", #"{"stream_id":"s","events_delivered":["urn:x"]}"#, .push,
            "will not deliver"
        ),
        ("a poll stream without its URL", #"{"stream_id":"s"}"#, .poll, "no delivery endpoint_url"),
        (
            "a poll URL that is not https", #"{"stream_id":"s","delivery":{"endpoint_url":"http://hub.example/p"}}"#,
            .poll,
            "not an https URL"
        ),
        (
            "a poll URL on another origin", #"{"stream_id":"s","delivery":{"endpoint_url":"https://evil.example/p"}}"#,
            .poll, "not on the origin"
        ),
    ]

    @Test(arguments: refusedStreams)
    func createdStreamIsRefused(row: (String, String, SSFDeliveryMethod, String)) {
        let (_, body, delivery, expected) = row
        #expect {
            _ = try TransmitterExchange.createdStream(
                Array(body.utf8),
                delivery: delivery,
                allowHTTP: false,
                origin: Self.configurationURL
            )
        } throws: { error in
            (error as? TransmitterExchange.Failure)?.description.contains(expected) == true
        }
    }

    @Test func thePollRequestCarriesAcknowledgementsAndErrors() {
        let first = TransmitterExchange.pollRequest(
            acknowledged: [],
            errors: [:],
            maxEvents: 50,
            returnImmediately: false
        )
        #expect(first == ["maxEvents": 50, "returnImmediately": false], "nothing to acknowledge: no ack member")
        let next = TransmitterExchange.pollRequest(
            acknowledged: ["a", "b"],
            errors: ["c": SETErrorBody(.invalidAudience, description: "wrong aud")],
            maxEvents: 50,
            returnImmediately: false
        )
        #expect(next["ack"] == ["a", "b"])
        #expect(next["setErrs"]?["c"] == ["err": "invalid_audience", "description": "wrong aud"])
        // What our own transmitter reads back (RFC 8936 §2.2).
        let parsed = try? PollRequest.parse(next)
        #expect(parsed?.acknowledged == ["a", "b"] && parsed?.errors["c"]?.err == "invalid_audience")
    }

    @Test func thePollAnswerIsReadInJTIOrder() throws {
        let body = #"{"sets":{"b":"t.b.b","a":"t.a.a"},"moreAvailable":true}"#
        let answer = try TransmitterExchange.pollAnswer(Array(body.utf8))
        #expect(answer.sets.map(\.jti) == ["a", "b"] && answer.sets.map(\.token) == ["t.a.a", "t.b.b"])
        #expect(answer.moreAvailable)
        #expect(try TransmitterExchange.pollAnswer(Array(#"{"sets":{}}"#.utf8)).moreAvailable == false)
        #expect(throws: TransmitterExchange.Failure.self) {
            try TransmitterExchange.pollAnswer(Array(#"{"sets":[]}"#.utf8))
        }
        // One entry that is no SET is set apart for setErrs; it does not hold back the rest.
        let mixed = try TransmitterExchange.pollAnswer(Array(#"{"sets":{"a":1,"b":"t.b.b","c":null}}"#.utf8))
        #expect(mixed.sets.map(\.jti) == ["b"] && mixed.malformed == ["a", "c"])
    }

    @Test func generationsNeverComeBack() {
        var seen: Set<Int64> = []
        var last: Int64?
        for _ in 0..<1000 {
            let next = UpstreamStream.nextGeneration(after: last)
            #expect(next > 0 && next != last)
            seen.insert(next)
            last = next
        }
        #expect(seen.count == 1000)
    }

    @Test(arguments: [(1, 1), (2, 2), (3, 4), (6, 32), (9, 256), (10, 300), (50, 300)])
    func failedStepsBackOffToFiveMinutes(failures: Int, seconds: Int) {
        #expect(UpstreamStream.retryDelay(afterFailures: failures) == .seconds(seconds))
    }
}
