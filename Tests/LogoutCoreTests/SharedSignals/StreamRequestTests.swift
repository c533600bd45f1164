import LogoutCore
import Testing

/// SSF-2: stream configuration create, update and replace (SSF §8.1.1), with the spec's
/// examples as vectors.
@Suite struct StreamRequestTests {
    static let type1 = SSFEventType(rawValue: "urn:example:secevent:events:type_1")
    static let type2 = SSFEventType(rawValue: "urn:example:secevent:events:type_2")
    static let type3 = SSFEventType(rawValue: "urn:example:secevent:events:type_3")
    static let type4 = SSFEventType(rawValue: "urn:example:secevent:events:type_4")
    /// The transmitter of SSF §8.1.1.1's example.
    static let example = StreamRequest.Context(
        issuer: "https://tr.example.com",
        audience: ["https://receiver.example.com/web", "https://receiver.example.com/mobile"],
        eventsSupported: [type1, type2, type3],
        publicBaseURL: "https://tr.example.com"
    )
    static let ours = StreamRequest.Context(
        issuer: "https://logout.example",
        audience: ["receiver-a"],
        publicBaseURL: "https://logout.example",
        minVerificationInterval: 30
    )
    static let secret = "Bearer s3cr3t-never-echoed"

    static func create(
        _ body: String,
        context: StreamRequest.Context = ours
    ) throws(SSFRequestError)
        -> StreamConfiguration
    {
        try StreamRequest.parse(ssfJSON(body), kind: .create).created(streamID: "s1", context: context)
    }

    static func change(
        _ kind: StreamRequest.Kind,
        _ body: String,
        of current: StreamConfiguration
    ) throws(SSFRequestError)
        -> StreamConfiguration
    {
        try StreamRequest.parse(ssfJSON(body), kind: kind).applied(to: current, context: ours)
    }

    static let pushStream = try! create(
        """
        {"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/events",
        "authorization_header":"\(secret)"},
        "events_requested":["https://schemas.openid.net/secevent/caep/event-type/session-revoked"],
        "description":"first"}
        """
    )

    /// SSF §8.1.1.1's example request gives its example response (events_delivered is
    /// requested ∩ supported; type_4 is echoed, never delivered).
    @Test func createMatchesTheSpecExample() throws {
        let request = """
            {"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://receiver.example.com/events"},
             "events_requested":["urn:example:secevent:events:type_2","urn:example:secevent:events:type_3",
               "urn:example:secevent:events:type_4"],
             "description":"Stream for Receiver A using events type_2, type_3, type_4"}
            """
        let response = """
            {"stream_id":"f67e39a0a4d34d56b3aa1bc4cff0069f","iss":"https://tr.example.com",
             "aud":["https://receiver.example.com/web","https://receiver.example.com/mobile"],
             "delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://receiver.example.com/events"},
             "events_supported":["urn:example:secevent:events:type_1","urn:example:secevent:events:type_2",
               "urn:example:secevent:events:type_3"],
             "events_requested":["urn:example:secevent:events:type_2","urn:example:secevent:events:type_3",
               "urn:example:secevent:events:type_4"],
             "events_delivered":["urn:example:secevent:events:type_2","urn:example:secevent:events:type_3"],
             "description":"Stream for Receiver A using events type_2, type_3, type_4"}
            """
        let stream = try StreamRequest.parse(ssfJSON(request), kind: .create)
            .created(streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f", context: Self.example)
        #expect(stream.json == ssfJSON(response))
    }

    @Test(
        arguments: [
            (
                "SSF §8.1.1.1 no delivery means poll, with our URL", "{}", SSFDeliveryMethod.poll,
                "https://logout.example/ssf/poll/s1"
            ),
            (
                "SSF §6.1.2 poll without endpoint_url gets ours", #"{"delivery":{"method":"urn:ietf:rfc:8936"}}"#,
                .poll,
                "https://logout.example/ssf/poll/s1"
            ),
            (
                "SSF §6.1.2 poll echoing our URL",
                #"{"delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://logout.example/ssf/poll/s1"}}"#,
                .poll, "https://logout.example/ssf/poll/s1"
            ),
            (
                "SSF §6.1.1 push to the receiver's https URL",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/e?x=1"}}"#,
                .push, "https://rx.example/e?x=1"
            ),
            (
                "SSF §8.1.1 transmitter-supplied members matching ours are accepted",
                #"{"iss":"https://logout.example","aud":"receiver-a","min_verification_interval":30,"events_delivered":[],"events_supported":["https://schemas.openid.net/secevent/ssf/event-type/verification","https://schemas.openid.net/secevent/caep/event-type/session-revoked"]}"#,
                .poll, "https://logout.example/ssf/poll/s1"
            ),
            (
                "unknown members are ignored", #"{"inactivity_timeout":60,"x":{}}"#, .poll,
                "https://logout.example/ssf/poll/s1"
            ),
        ] as [(String, String, SSFDeliveryMethod, String)]
    )
    func createsDelivery(rule: String, body: String, method: SSFDeliveryMethod, url: String) throws {
        let stream = try Self.create(body)
        #expect(stream.delivery.method == method, "\(rule)")
        #expect(stream.delivery.endpointURL == url, "\(rule)")
        #expect(stream.issuer == "https://logout.example" && stream.audience == ["receiver-a"], "\(rule)")
    }

    @Test(
        arguments: [
            ("SSF §8.1.1 stream_id is transmitter-supplied", #"{"stream_id":"mine"}"#),
            ("SSF §8.1.1 iss must match", #"{"iss":"https://other.example"}"#),
            ("SSF §8.1.1 aud must match", #"{"aud":["receiver-b"]}"#),
            ("SSF §8.1.1 events_supported must match", #"{"events_supported":[]}"#),
            (
                "SSF §8.1.1 events_delivered must match",
                #"{"events_delivered":["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]}"#
            ),
            ("SSF §8.1.1 min_verification_interval must match", #"{"min_verification_interval":1}"#),
            ("SSF §6.1 unknown delivery method", #"{"delivery":{"method":"urn:example:websocket"}}"#),
            ("SSF §6.1 delivery without method", #"{"delivery":{"endpoint_url":"https://rx.example/e"}}"#),
            ("SSF §6.1.1 push needs endpoint_url", #"{"delivery":{"method":"urn:ietf:rfc:8935"}}"#),
            (
                "push endpoint over http",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"http://rx.example/e"}}"#
            ),
            ("push endpoint relative", #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"/events"}}"#),
            (
                "push endpoint with a fragment",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/e#f"}}"#
            ),
            (
                "push endpoint with credentials",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://u:p@rx.example/e"}}"#
            ),
            (
                "push endpoint with NUL",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/\u0000"}}"#
            ),
            (
                "SSF §6.1.2 poll endpoint_url is the transmitter's",
                #"{"delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"https://rx.example/e"}}"#
            ),
            (
                "authorization_header with poll",
                #"{"delivery":{"method":"urn:ietf:rfc:8936","authorization_header":"Bearer x"}}"#
            ),
            (
                "authorization_header with CRLF (header injection)",
                #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/e","authorization_header":"Bearer x\r\nX-Evil: 1"}}"#
            ),
            ("events_requested not strings", #"{"events_requested":[1]}"#),
            (
                "events_requested too many",
                "{\"events_requested\":[" + (0..<33).map { "\"urn:e:\($0)\"" }.joined(separator: ",") + "]}"
            ),
            ("description not a string", #"{"description":7}"#),
            ("body not an object", "[]"),
        ]
    )
    func createRefuses(rule: String, body: String) {
        let error = ssfRefusal { () throws(SSFRequestError) in try Self.create(body) }
        #expect(error?.status == 400, "\(rule)")
        #expect(error?.rule == "SSF-2", "\(rule)")
        #expect(error?.description.contains("Bearer") == false, "\(rule): the description must not echo the header")
    }

    @Test func plainHTTPPushEndpointsOnlyWhenAllowed() throws {
        var context = Self.ours
        context.allowInsecureEndpoints = true
        let body = #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"http://127.0.0.1:9000/e"}}"#
        #expect(try Self.create(body, context: context).delivery.endpointURL == "http://127.0.0.1:9000/e")
        #expect(ssfRefusal { () throws(SSFRequestError) in try Self.create(body) }?.status == 400)
    }

    /// SSF §8.1.1: the transmitter MAY truncate a long description; control characters become `?`.
    @Test func descriptionsAreBoundedAndPrintable() throws {
        let long = String(repeating: "d", count: 300)
        #expect(
            try Self.create("{\"description\":\"\(long)\"}").description == String(repeating: "d", count: 256) + "…"
        )
        #expect(try Self.create(#"{"description":"a\u0007b"}"#).description == "a?b")
    }

    /// The receiver's authorization_header is used for pushes but never shown in the stream.
    @Test func theAuthorizationHeaderIsKeptButNeverInTheJSON() {
        #expect(Self.pushStream.delivery.authorizationHeader == Self.secret)
        #expect(!JSONSerializer.string(Self.pushStream.json).contains("s3cr3t"))
    }
}
