import LogoutCore
import Testing

/// SET pushes on the one queue engine (SSF-4, RFC 8935 §2.2–§2.4): one row per answer, read by
/// `PushAnswer` into the queue's one retry/give-up path, and a push that cannot be made (its
/// stored stream cannot be read, its claims cannot be signed) fails without counting an
/// attempt.
@Suite struct SecurityEventJobsTests {
    static let wall0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func event(attempts: Int = 0, createdAt: Timestamp = wall0) -> ClaimedSecurityEvent {
        ClaimedSecurityEvent(
            id: 7,
            streamID: "stream-1",
            receiver: "siem",
            jti: "jti-1",
            claims: "{}",
            configuration: "{}",
            sealedAuthorization: nil,
            attempts: attempts,
            createdAt: createdAt
        )
    }

    static func report(
        _ result: AttemptResult,
        attempts: Int = 0,
        createdAt: Timestamp = wall0,
        notAttempted: String? = nil
    ) -> SecurityEventReport {
        var generator = SystemRandomNumberGenerator()
        return SecurityEventJobs.report(
            .init(
                job: event(attempts: attempts, createdAt: createdAt),
                result: result,
                startedAt: wall0 + .seconds(1),
                duration: .milliseconds(30),
                jti: "jti-1",
                notAttempted: notAttempted
            ),
            settings: QueueSettings(concurrency: 8, perRPConcurrency: 4, retryPolicy: RetryPolicy(jitter: 0)),
            using: &generator
        )
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var result: AttemptResult
        var state: JobTransition.State
        var errorContains: String?
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(rule: "202 is delivered (RFC 8935 §2.2)", result: .response(HTTPAnswer(status: 202)), state: .done),
        Row(rule: "another 2xx is taken", result: .response(HTTPAnswer(status: 200)), state: .done),
        Row(
            rule: "400 with err/description fails with them (§2.3)",
            result: .response(HTTPAnswer(status: 400, rpError: "invalid_key: unknown kid")),
            state: .failed,
            errorContains: "invalid_key: unknown kid"
        ),
        Row(
            rule: "400 without an error object fails too",
            result: .response(HTTPAnswer(status: 400)),
            state: .failed,
            errorContains: "without an RFC 8935 error object"
        ),
        Row(
            rule: "a redirect fails, never followed (DEL-2)",
            result: .response(HTTPAnswer(status: 302, location: "https://elsewhere.example/")),
            state: .failed
        ),
        Row(
            rule: "401 is retried: the receiver may fix its token",
            result: .response(HTTPAnswer(status: 401)),
            state: .retrying
        ),
        Row(
            rule: "404 is retried: the receiver may fix its endpoint",
            result: .response(HTTPAnswer(status: 404)),
            state: .retrying
        ),
        Row(rule: "429 is retried", result: .response(HTTPAnswer(status: 429)), state: .retrying),
        Row(rule: "503 is retried", result: .response(HTTPAnswer(status: 503)), state: .retrying),
        Row(rule: "no answer is retried", result: .transportFailure(.connection, detail: "refused"), state: .retrying),
        Row(
            rule: "a blocked address fails",
            result: .transportFailure(.blocked, detail: "private address"),
            state: .failed
        ),
    ]

    @Test(arguments: rows)
    func anAnswerDecidesTheSET(row: Row) {
        let report = Self.report(row.result)
        #expect(report.id == 7 && report.streamID == "stream-1" && report.receiver == "siem" && report.jti == "jti-1")
        #expect(report.transition.state == row.state)
        #expect(report.transition.attempts == 1)
        if let text = row.errorContains {
            #expect(report.transition.lastError?.contains(text) == true, "\(report.transition)")
        }
        if row.state == .retrying {
            #expect(report.transition.nextAttemptAt.map { $0 > Self.wall0 } == true)
        }
    }

    /// The engine's early hold-back counts an answer as the stored breaker will: a receiver's
    /// 401 or 404 is retried (RFC 8935 reading), so it counts towards the stream's breaker,
    /// where an RP's would be a permanent refusal; a push not made feeds no breaker.
    @Test func theBreakerCountsAnswersAsPushesReadThem() {
        for status in [401, 404, 503] {
            let verdict = SecurityEventJobs.breakerVerdict(.response(HTTPAnswer(status: status)))
            guard case .retryable = verdict else {
                Issue.record("HTTP \(status) is not a retryable failure of the stream: \(verdict)")
                continue
            }
        }
        let refused = Self.report(.response(HTTPAnswer(status: 404)))
        if case .retryable? = refused.breaker?.verdict {
        } else {
            Issue.record("\(String(describing: refused.breaker))")
        }
        #expect(refused.finishedAt == Self.wall0 + .seconds(1) + .milliseconds(30))
        let accepted = Self.report(.response(HTTPAnswer(status: 400)))
        if case .permanent? = accepted.breaker?.verdict {} else { Issue.record("a 400 counts as up") }
        #expect(Self.report(.response(HTTPAnswer(status: 202)), notAttempted: "unreadable").breaker == nil)
    }

    @Test func retryAfterIsHonoured() {
        let report = Self.report(.response(HTTPAnswer(status: 503, retryAfter: "120")))
        let finished = Self.wall0 + .seconds(1) + .milliseconds(30)
        #expect(report.transition.nextAttemptAt.map { $0 >= finished + .seconds(120) } == true)
    }

    @Test func aRetryPastTheWindowFails() {
        let report = Self.report(
            .response(HTTPAnswer(status: 503)),
            attempts: 3,
            createdAt: Self.wall0 - .seconds(90_000)
        )
        #expect(report.transition.state == .failed)
        #expect(report.transition.reason?.contains("HTTP 503") == true)
    }

    @Test func aPushThatCannotBeMadeFailsWithoutCountingAnAttempt() {
        let report = Self.report(
            .transportFailure(.blocked, detail: "gone"),
            attempts: 2,
            notAttempted: "cannot read the stream or sign the SET: no RS256 signing key"
        )
        #expect(report.transition.state == .failed)
        #expect(report.transition.attempts == 2)
        #expect(report.transition.reason == "cannot read the stream or sign the SET: no RS256 signing key")
    }
}
