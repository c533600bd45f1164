import LogoutCore
import Testing

/// SSF-4, poll (RFC 8936 §2): the request, the plan, the answer.
@Suite struct PollTests {
    static func parse(_ text: String) throws(SSFRequestError) -> PollRequest {
        try PollRequest.parse(ssfJSON(text))
    }

    /// RFC 8936 §2.4's example requests.
    @Test(
        arguments: [
            ("RFC 8936 §2.4.1 short poll", #"{"returnImmediately":true}"#, PollRequest(returnImmediately: true)),
            ("RFC 8936 §2.2 long poll by default, our maximum by default", "{}", PollRequest()),
            (
                "RFC 8936 §2.4.3 acknowledge and poll",
                #"{"ack":["4d3559ec67504aaba65d40b0363faad8","3d0c3cf797584bd193bd0fb1bd4e7d30"],"returnImmediately":false}"#,
                PollRequest(acknowledged: ["4d3559ec67504aaba65d40b0363faad8", "3d0c3cf797584bd193bd0fb1bd4e7d30"])
            ),
            (
                "RFC 8936 §2.4.4 report an error",
                #"{"ack":["3d0c3cf797584bd193bd0fb1bd4e7d30"],"setErrs":{"4d3559ec67504aaba65d40b0363faad8":{"err":"authentication_failed","description":"The SET could not be authenticated"}},"returnImmediately":true}"#,
                PollRequest(
                    returnImmediately: true,
                    acknowledged: ["3d0c3cf797584bd193bd0fb1bd4e7d30"],
                    errors: [
                        "4d3559ec67504aaba65d40b0363faad8": SETErrorBody(
                            err: "authentication_failed",
                            description: "The SET could not be authenticated"
                        )
                    ]
                )
            ),
            (
                "RFC 8936 §2.4.2 maxEvents 0 acknowledges only", #"{"maxEvents":0,"ack":["a"]}"#,
                PollRequest(maxEvents: 0, acknowledged: ["a"])
            ),
            ("maxEvents above our maximum is lowered to it", #"{"maxEvents":100000}"#, PollRequest(maxEvents: 100)),
            ("maxEvents larger than any integer cannot trap", #"{"maxEvents":1e300}"#, PollRequest(maxEvents: 100)),
            ("a repeated ack counts once", #"{"ack":["a","b","a"]}"#, PollRequest(acknowledged: ["a", "b"])),
            ("unknown members are ignored", #"{"future":1}"#, PollRequest()),
        ]
    )
    func parses(rule: String, text: String, request: PollRequest) throws {
        #expect(try Self.parse(text) == request, "\(rule)")
    }

    @Test(
        arguments: [
            ("not an object", "[]"),
            ("maxEvents negative", #"{"maxEvents":-1}"#),
            ("maxEvents fractional", #"{"maxEvents":1.5}"#),
            ("maxEvents a string", #"{"maxEvents":"10"}"#),
            ("returnImmediately not a boolean", #"{"returnImmediately":"true"}"#),
            ("ack not an array", #"{"ack":"a"}"#),
            ("ack entry not a string", #"{"ack":[1]}"#),
            ("ack entry empty", #"{"ack":[""]}"#),
            ("ack jti too long", "{\"ack\":[\"\(String(repeating: "j", count: 257))\"]}"),
            ("too many acks", "{\"ack\":[" + (0...1000).map { "\"\($0)\"" }.joined(separator: ",") + "]}"),
            ("setErrs not an object", #"{"setErrs":[]}"#),
            ("setErrs entry without err", #"{"setErrs":{"a":{"description":"x"}}}"#),
            ("setErrs entry not an object", #"{"setErrs":{"a":"invalid_key"}}"#),
            ("setErrs jti with a control character", #"{"setErrs":{"a\u0001":{"err":"invalid_key"}}}"#),
            ("acknowledged and refused at once", #"{"ack":["a"],"setErrs":{"a":{"err":"invalid_key"}}}"#),
        ]
    )
    func refuses(name: String, text: String) {
        let error = ssfRefusal { () throws(SSFRequestError) in try Self.parse(text) }
        #expect(error?.status == 400, "\(name)")
        #expect(error?.rule == "SSF-4", "\(name)")
    }

    static let held = (1...5).map { HeldSET(jti: "j\($0)", token: "t\($0)") }

    /// One row per decision of a poll over five held SETs j1…j5, oldest first.
    @Test(
        arguments: [
            ("RFC 8936 §2.2 up to maxEvents, oldest first", PollRequest(maxEvents: 2), ["j1", "j2"], true, false),
            ("all fit", PollRequest(maxEvents: 10), ["j1", "j2", "j3", "j4", "j5"], false, false),
            (
                "RFC 8936 §2.4 acknowledged SETs are not returned again",
                PollRequest(maxEvents: 2, acknowledged: ["j1", "j2"]), ["j3", "j4"], true, false
            ),
            (
                "RFC 8936 §2.4.4 refused SETs leave too",
                PollRequest(maxEvents: 10, errors: ["j5": SETErrorBody(err: "invalid_key")]), ["j1", "j2", "j3", "j4"],
                false, false
            ),
            ("SSF-4 unacknowledged SETs are returned again", PollRequest(maxEvents: 1), ["j1"], true, false),
            (
                "RFC 8936 §2.4.2 maxEvents 0 returns nothing and does not wait",
                PollRequest(maxEvents: 0, acknowledged: ["j1"]), [], true, false
            ),
            (
                "RFC 8936 §2.2 long poll: nothing left, wait",
                PollRequest(acknowledged: ["j1", "j2", "j3", "j4", "j5"]), [], false, true
            ),
            (
                "RFC 8936 §2.2 short poll: nothing left, answer empty",
                PollRequest(returnImmediately: true, acknowledged: ["j1", "j2", "j3", "j4", "j5"]), [], false, false
            ),
        ]
    )
    func plans(rule: String, request: PollRequest, returned: [String], more: Bool, waits: Bool) {
        let plan = PollPlan.plan(request: request, held: Self.held, maximumWait: .seconds(25))
        #expect(plan.returned.map(\.jti) == returned, "\(rule)")
        #expect(plan.moreAvailable == more, "\(rule)")
        #expect(plan.wait == (waits ? .seconds(25) : nil), "\(rule)")
    }

    @Test func acknowledgementsAndErrorsAreRecordedOnlyForHeldSETs() {
        let request = PollRequest(
            acknowledged: ["j2", "gone"],
            errors: ["j3": SETErrorBody(err: "invalid_key", description: "rotated"), "other": SETErrorBody(err: "x")]
        )
        let plan = PollPlan.plan(request: request, held: Self.held, maximumWait: .seconds(1))
        #expect(plan.acknowledged == ["j2"])
        #expect(
            plan.failed == [
                PollPlan.Failure(jti: "j3", error: SETErrorBody(err: "invalid_key", description: "rotated"))
            ]
        )
    }

    /// After the wait, the shell plans again without applying the acknowledgements twice.
    @Test func afterWaitingAnswersAtOnce() {
        let request = PollRequest(maxEvents: 7, acknowledged: ["j1"]).afterWaiting
        #expect(request == PollRequest(maxEvents: 7, returnImmediately: true))
        let plan = PollPlan.plan(request: request, held: [], maximumWait: .seconds(25))
        #expect(plan.wait == nil)
    }

    /// RFC 8936 §2.3's answer shape.
    @Test func response() {
        let plan = PollPlan.plan(request: PollRequest(maxEvents: 1), held: Self.held, maximumWait: .seconds(1))
        #expect(plan.response.json == ssfJSON(#"{"sets":{"j1":"t1"},"moreAvailable":true}"#))
        #expect(PollResponse(sets: [], moreAvailable: false).json == ssfJSON(#"{"sets":{},"moreAvailable":false}"#))
    }
}
