import LogoutCore
import Testing

/// Q-4 as both stores apply it: stored outcomes feed their RP's breaker in report order, as of
/// each attempt's end; only changed breakers are saved.
@Suite struct BreakerUpdateTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let policy = CircuitBreaker.Policy(threshold: 2, initialPause: .seconds(30), maximumPause: .seconds(600))

    static func report(_ id: Int64, _ verdict: DeliveryClassifier.Verdict?, at offset: Int64 = 0) -> AttemptReport {
        AttemptReport(
            deliveryID: id,
            attempt: AttemptRecord(
                deliveryID: id,
                attempt: 1,
                startedAt: now + .seconds(offset),
                duration: .milliseconds(500),
                statusCode: 503,
                errorClass: .http5xx,
                jti: "j\(id)",
                rpError: nil,
                nextAttemptAt: nil
            ),
            transition: DeliveryTransition.skipped(attempts: 1, reason: "test", at: now),
            breaker: verdict.map { BreakerInput(verdict: $0, policy: policy) }
        )
    }

    static let down = DeliveryClassifier.Verdict.retryable(.http5xx, reason: "HTTP 503", retryAfter: nil)

    @Test func failuresOfOneRPOpenItsBreakerAndNoOtherOne() {
        let stored = [
            (report: Self.report(1, Self.down), clientID: "shop"),
            (report: Self.report(2, Self.down, at: 1), clientID: "shop"),
            (report: Self.report(3, Self.down, at: 2), clientID: "wiki"),
            (report: Self.report(4, nil, at: 3), clientID: "billing"),
        ]
        #expect(BreakerUpdate.relyingParties(of: stored) == ["shop", "wiki"], "billing's report has no verdict")
        let changed = BreakerUpdate.apply(stored, to: [:])
        #expect(changed["shop"]?.state == .open)
        #expect(changed["shop"]?.since == Self.now + .seconds(1) + .milliseconds(500), "as of the attempt's end")
        #expect(changed["wiki"]?.state == .closed && changed["wiki"]?.consecutiveFailures == 1)
        #expect(changed["billing"] == nil)
    }

    @Test func anUnchangedBreakerIsNotSaved() {
        let stored = [(report: Self.report(1, .delivered(standard: true)), clientID: "shop")]
        #expect(BreakerUpdate.apply(stored, to: [:]).isEmpty, "a success on a closed breaker changes nothing")
        var failing = CircuitBreaker()
        failing.record(Self.down, now: Self.now, policy: Self.policy)
        let healed = BreakerUpdate.apply(stored, to: ["shop": failing])
        #expect(healed["shop"]?.consecutiveFailures == 0, "a success after a failure is saved")
    }
}
