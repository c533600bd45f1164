import LogoutCore
import Testing

/// Revocations on the one queue engine (BR-8): the same caps and slow start per target (the
/// issuer), their answers read by RFC 7009's rules, and an attempt that cannot be made fails
/// without counting one.
@Suite struct RevocationJobsTests {
    typealias Machine = RevocationStateMachine
    static let wall0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let now = Machine.Now(wall: wall0, monotonic: ContinuousClock.now)

    static func revocation(_ id: Int64, issuer: String = "idp", attempts: Int = 0) -> ClaimedRevocation {
        ClaimedRevocation(
            id: id,
            eventID: 1,
            sessionID: id,
            issuerName: issuer,
            tokenType: .refreshToken,
            sealedToken: [1],
            endpoint: "https://idp.example/revoke",
            clientID: "logoutd",
            sealedClientSecret: nil,
            attempts: attempts,
            createdAt: wall0
        )
    }

    static func settings() -> QueueSettings {
        QueueSettings(concurrency: 8, perRPConcurrency: 2, retryPolicy: RetryPolicy(jitter: 0), slowStart: true)
    }

    @Test func eachIssuerStartsWithOneSlotAndEarnsItsConcurrencyByAnswering() {
        var machine = Machine(settings: Self.settings())
        _ = machine.wake(Self.now)
        let claimed = [Self.revocation(1), Self.revocation(2), Self.revocation(3, issuer: "other")]
        let actions = machine.claimed(claimed, limit: 16, now: Self.now)
        let started = actions.flatMap { action -> [Int64] in
            if case .start(let list) = action { return list.map(\.id) }
            return []
        }
        #expect(started.sorted() == [1, 3], "one per issuer until it answers")
        var generator = SystemRandomNumberGenerator()
        let answered = machine.attemptFinished(
            .init(
                job: claimed[0],
                result: .response(HTTPAnswer(status: 200)),
                startedAt: Self.wall0,
                duration: .milliseconds(20)
            ),
            now: Self.now,
            using: &generator
        )
        guard case .record(let report) = answered.first else {
            Issue.record("no record: \(answered)")
            return
        }
        #expect(report.id == 1 && report.transition.status == .revoked && report.transition.eraseToken)
        #expect(answered.contains(.start([claimed[1]])), "the issuer answered: its next token starts")
    }

    @Test func aRevocationThatCannotBeAttemptedFailsWithoutCountingOne() {
        var generator = SystemRandomNumberGenerator()
        let report = RevocationJobs.report(
            .init(
                job: Self.revocation(1, attempts: 2),
                result: .transportFailure(.blocked, detail: "gone"),
                startedAt: Self.wall0,
                duration: .zero,
                notAttempted: "the token is no longer stored"
            ),
            settings: Self.settings(),
            using: &generator
        )
        #expect(report.transition.status == .failed && report.transition.attempts == 2)
        #expect(report.transition.reason == "the token is no longer stored")
    }

    @Test func aServerAskingForTimeIsRetriedOnTheQueuesPolicy() {
        var generator = SystemRandomNumberGenerator()
        let report = RevocationJobs.report(
            .init(
                job: Self.revocation(1),
                result: .response(HTTPAnswer(status: 503, retryAfter: "120")),
                startedAt: Self.wall0,
                duration: .seconds(1)
            ),
            settings: Self.settings(),
            using: &generator
        )
        #expect(report.transition.status == .retrying && report.transition.attempts == 1)
        #expect(report.transition.nextAttemptAt == Self.wall0 + .seconds(121), "Retry-After, from the attempt's end")
    }
}
