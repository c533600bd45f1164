import LogoutCore
import Testing

/// one RP's circuit breaker, row by row.
@Suite struct CircuitBreakerTests {
    let policy = CircuitBreaker.Policy(threshold: 3, initialPause: .seconds(30), maximumPause: .seconds(600))
    let down = DeliveryClassifier.Verdict.retryable(.http5xx, reason: "HTTP 503", retryAfter: nil)
    let t0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    func at(_ seconds: Int64) -> Timestamp { t0 + .seconds(seconds) }

    func opened() -> CircuitBreaker {
        var breaker = CircuitBreaker()
        for second in 0..<3 { breaker.record(down, now: at(Int64(second)), policy: policy) }
        return breaker
    }

    @Test func itOpensAfterTheThresholdOfConsecutiveRetryableFailures() {
        var breaker = CircuitBreaker()
        breaker.record(down, now: at(0), policy: policy)
        breaker.record(down, now: at(1), policy: policy)
        #expect(breaker.state == .closed && breaker.admission(now: at(1)) == .all)
        breaker.record(down, now: at(2), policy: policy)
        #expect(breaker.state == .open && breaker.since == at(2) && breaker.lastError == "HTTP 503")
        #expect(breaker.admission(now: at(31)) == .none)
        #expect(breaker.admission(now: at(32)) == .probe)
    }

    @Test func anAnswerInBetweenResetsTheCount() {
        var breaker = CircuitBreaker()
        breaker.record(down, now: at(0), policy: policy)
        breaker.record(down, now: at(1), policy: policy)
        breaker.record(.permanent(.http4xx, reason: "HTTP 400"), now: at(2), policy: policy)
        breaker.record(down, now: at(3), policy: policy)
        #expect(breaker.state == .closed && breaker.consecutiveFailures == 1)
    }

    /// One probe at a time; failed probes pause longer, up to the maximum.
    @Test(arguments: [(1, Int64(60)), (2, 120), (3, 240), (4, 480), (5, 600), (20, 600)])
    func failedProbesPauseLonger(failedProbes: Int, pause: Int64) throws {
        var breaker = opened()
        var now = at(32)
        var lastFailure = now
        for _ in 0..<failedProbes {
            #expect(breaker.admission(now: now) == .probe)
            breaker.probeStarted(now: now, lease: .seconds(50))
            #expect(breaker.state == .probing && breaker.admission(now: now) == .none)
            breaker.record(down, now: now, policy: policy)
            lastFailure = now
            now = try #require(breaker.nextProbeAt)
        }
        // The pause after the last failed probe, measured from that failure: open until then.
        #expect(breaker.state == .open && breaker.failedProbes == failedProbes)
        #expect(breaker.nextProbeAt == lastFailure + .seconds(pause))
        #expect(breaker.admission(now: lastFailure + .seconds(pause) - .milliseconds(1)) == .none)
        #expect(policy.pause(afterProbes: failedProbes) == .seconds(pause))
    }

    @Test func aProbeThatNeverAnswersIsRetriedAfterItsLease() {
        var breaker = opened()
        breaker.probeStarted(now: at(40), lease: .seconds(50))
        #expect(breaker.admission(now: at(89)) == .none)
        #expect(breaker.admission(now: at(90)) == .probe)
    }

    @Test func aSuccessfulProbeClosesIt() {
        var breaker = opened()
        breaker.probeStarted(now: at(40), lease: .seconds(50))
        breaker.record(.delivered(standard: true), now: at(41), policy: policy)
        #expect(breaker.state == .closed && breaker.admission(now: at(41)) == .all)
        #expect(breaker.since == at(41) && breaker.lastError == nil && breaker.consecutiveFailures == 0)
    }

    @Test func anRPsRetryAfterLengthensThePauseUpToTheMaximum() {
        var breaker = CircuitBreaker()
        let busy = DeliveryClassifier.Verdict.retryable(.http5xx, reason: "HTTP 503", retryAfter: .seconds(300))
        for second in 0..<3 { breaker.record(busy, now: at(Int64(second)), policy: policy) }
        #expect(breaker.nextProbeAt == at(302))
    }
}
