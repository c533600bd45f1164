import LogoutCore
import Testing

/// Seconds after the epoch as a stored instant, for short test tables.
func at(_ seconds: Int64) -> Timestamp { Timestamp(millisecondsSince1970: seconds * 1000) }

/// A deterministic generator, so jittered delays are exact in tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

@Suite struct DeliveryClassifierTests {
    /// DEL-2, DEL-4, DEL-5, DEL-6: one row per status class.
    @Test(arguments: [
        (200, "delivered"), (204, "delivered"), (202, "delivered-nonstandard"),
        (301, "permanent"), (302, "permanent"), (307, "permanent"), (308, "permanent"),
        (400, "permanent"), (401, "permanent"), (403, "permanent"), (404, "permanent"), (405, "permanent"),
        (410, "permanent"), (413, "permanent"), (415, "permanent"), (422, "permanent"), (501, "permanent"),
        (418, "permanent"),
        (408, "retryable"), (425, "retryable"), (429, "retryable"), (500, "retryable"), (502, "retryable"),
        (503, "retryable"), (504, "retryable"), (599, "retryable"),
    ])
    func classifiesStatus(status: Int, expected: String) {
        let verdict = DeliveryClassifier.classify(.response(HTTPAnswer(status: status)))
        switch verdict {
        case .delivered(let standard): #expect(expected == (standard ? "delivered" : "delivered-nonstandard"))
        case .permanent: #expect(expected == "permanent")
        case .retryable: #expect(expected == "retryable")
        }
    }

    @Test func redirectIsPermanentWithItsLocation() {
        let verdict = DeliveryClassifier.classify(.response(HTTPAnswer(status: 302, location: "https://elsewhere/")))
        guard case .permanent(.redirect, let reason) = verdict else {
            Issue.record("not a permanent redirect: \(verdict)")
            return
        }
        #expect(reason.contains("https://elsewhere/"))
    }

    @Test(arguments: [ErrorClass.timeout, .dns, .tls, .refused, .connection])
    func transportFailuresAreRetryable(errorClass: ErrorClass) {
        guard case .retryable(let got, _, _) = DeliveryClassifier.classify(.transportFailure(errorClass, detail: "x"))
        else {
            Issue.record("\(errorClass) not retryable")
            return
        }
        #expect(got == errorClass)
    }

    @Test func blockedAndSigningFailuresArePermanent() {
        for errorClass in [ErrorClass.blocked, .signing] {
            guard case .permanent(let got, _) = DeliveryClassifier.classify(.transportFailure(errorClass, detail: "x"))
            else {
                Issue.record("\(errorClass) not permanent")
                continue
            }
            #expect(got == errorClass)
        }
    }

    @Test(
        arguments: [
            ("120", Duration.seconds(120)), (" 5 ", .seconds(5)), ("Wed, 21 Oct 2015 07:28:00 GMT", nil), ("-1", nil),
            ("", nil),
        ] as [(String, Duration?)]
    )
    func retryAfterSeconds(header: String, expected: Duration?) {
        let verdict = DeliveryClassifier.classify(.response(HTTPAnswer(status: 503, retryAfter: header)))
        guard case .retryable(_, _, let retryAfter) = verdict else {
            Issue.record("503 not retryable")
            return
        }
        #expect(retryAfter == expected)
    }
}

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(jitter: 0)

    @Test(
        arguments: [
            (1, 5), (2, 20), (3, 80), (4, 320), (5, 1280), (6, 3600), (9, 3600), (1000, 3600), (Int.max, 3600),
        ] as [(Int, Int64)]
    )
    func backoffTable(attempt: Int, expected: Int64) {
        #expect(policy.baseDelay(afterAttempt: attempt) == .seconds(expected))
    }

    @Test func jitterStaysWithinTwentyPercentAndIsReproducible() {
        let jittered = RetryPolicy()
        var first = SeededGenerator(state: 7)
        var second = SeededGenerator(state: 7)
        for attempt in 1...9 {
            let a = jittered.delay(afterAttempt: attempt, using: &first)
            let b = jittered.delay(afterAttempt: attempt, using: &second)
            let base = jittered.baseDelay(afterAttempt: attempt)
            #expect(a == b)
            #expect(a >= base * 0.8 && a <= base * 1.2)
        }
    }

    @Test func givesUpAfterMaximumAttempts() {
        var generator = SeededGenerator(state: 1)
        #expect(
            policy.decide(attemptsMade: 10, createdAt: at(0), now: at(100), retryAfter: nil, using: &generator)
                == .giveUp(reason: "gave up after 10 attempts")
        )
        #expect(
            policy.decide(attemptsMade: 9, createdAt: at(0), now: at(100), retryAfter: nil, using: &generator)
                == .retry(at: at(3700))
        )
    }

    @Test func givesUpWhenTheWindowIsOver() {
        var generator = SeededGenerator(state: 1)
        let decision = policy.decide(
            attemptsMade: 3,
            createdAt: at(0),
            now: at(86_390),
            retryAfter: nil,
            using: &generator
        )
        guard case .giveUp(let reason) = decision else {
            Issue.record("kept retrying past the window")
            return
        }
        #expect(reason.contains("window"))
    }

    @Test func honoursRetryAfterWithinTheCap() {
        var generator = SeededGenerator(state: 1)
        #expect(
            policy.decide(attemptsMade: 1, createdAt: at(0), now: at(0), retryAfter: .seconds(60), using: &generator)
                == .retry(at: at(60))
        )
        #expect(
            policy.decide(
                attemptsMade: 1,
                createdAt: at(0),
                now: at(0),
                retryAfter: .seconds(999_999),
                using: &generator
            )
                == .retry(at: at(3600))
        )
        #expect(
            policy.decide(attemptsMade: 1, createdAt: at(0), now: at(0), retryAfter: .seconds(1), using: &generator)
                == .retry(at: at(5))
        )
    }
}

@Suite struct DeliveryTransitionTests {
    func transition(
        _ result: AttemptResult,
        attemptsBefore: Int = 0,
        policy: RetryPolicy = RetryPolicy()
    )
        -> DeliveryTransition
    {
        var generator = SeededGenerator(state: 1)
        return DeliveryTransition.afterAttempt(
            result,
            attemptsBefore: attemptsBefore,
            createdAt: at(0),
            finishedAt: at(10),
            policy: policy,
            using: &generator
        )
    }

    @Test func deliveredRecordsTheTime() {
        let t = transition(.response(HTTPAnswer(status: 200)))
        #expect(t.status == .delivered && t.attempts == 1 && t.deliveredAt == at(10) && t.lastStatusCode == 200)
    }

    @Test func badRequestFailsWithTheRPError() {
        let t = transition(.response(HTTPAnswer(status: 400, rpError: "invalid_request: bad aud")), attemptsBefore: 2)
        #expect(t.status == .failed && t.attempts == 3 && t.errorClass == .http4xx)
        #expect(t.reason?.contains("bad aud") == true)
    }

    @Test func serviceUnavailableRetries() {
        let t = transition(.response(HTTPAnswer(status: 503)), policy: RetryPolicy(jitter: 0))
        #expect(t.status == .retrying && t.nextAttemptAt == at(15) && t.errorClass == .http5xx)
    }

    @Test func exhaustedRetriesFailWithBothReasons() {
        let t = transition(.transportFailure(.timeout, detail: "no answer"), attemptsBefore: 9)
        #expect(
            t.status == .failed && t.reason?.contains("gave up after 10 attempts") == true
                && t.reason?.contains("no answer") == true
        )
    }

    @Test(arguments: [(nil, true, true), ("sid", true, false), (nil, false, false)] as [(String?, Bool, Bool)])
    func lateLogoutGuard(sid: String?, newer: Bool, skip: Bool) {
        #expect(LateLogoutGuard.shouldSkip(deliverySid: sid, newerSessionExists: newer) == skip)
    }
}
