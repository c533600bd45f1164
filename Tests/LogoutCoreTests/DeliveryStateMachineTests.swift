import LogoutCore
import Testing

/// The delivery engine's decisions, driven by hand: a manual clock, no sleeps, no sockets.
@Suite struct DeliveryStateMachineTests {
    typealias Machine = DeliveryStateMachine
    static let t0 = ContinuousClock.now
    static let wall0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    /// The clock the test holds: both clocks advance together unless a row steps the wall clock.
    static func now(_ seconds: Double = 0, wallStep: Duration = .zero) -> Machine.Now {
        let elapsed = Duration.seconds(clamping: seconds)
        return Machine.Now(wall: wall0 + elapsed + wallStep, monotonic: t0 + elapsed)
    }

    /// Slow start is off unless a row is about it: the other rows count slots from the first claim.
    static func settings(concurrency: Int = 64, perRP: Int = 8, slowStart: Bool = false) -> Machine.Settings {
        Machine.Settings(
            concurrency: concurrency,
            perRPConcurrency: perRP,
            retryPolicy: RetryPolicy(jitter: 0),
            attemptTimeout: .seconds(10),
            shutdownTimeout: .seconds(15),
            slowStart: slowStart
        )
    }

    static func deliveries(_ client: String, _ ids: ClosedRange<Int64>) -> [ClaimedDelivery] {
        ids.map {
            ClaimedDelivery(
                id: $0,
                eventID: 1,
                clientID: client,
                sub: "u",
                sid: "s",
                createdAt: wall0,
                uri: "https://rp/"
            )
        }
    }

    static func started(_ actions: [Machine.Action]) -> [Int64] {
        actions.flatMap { action -> [Int64] in
            if case .start(let list) = action { return list.map(\.id) }
            return []
        }
    }

    static func reports(_ actions: [Machine.Action]) -> [AttemptReport] {
        actions.compactMap { action in
            if case .record(let report) = action { return report }
            return nil
        }
    }

    static func outcome(
        _ delivery: ClaimedDelivery,
        _ result: AttemptResult,
        at seconds: Double = 0
    )
        -> Machine.AttemptOutcome
    {
        .init(
            delivery: delivery,
            result: result,
            startedAt: wall0 + .seconds(clamping: seconds),
            duration: .milliseconds(250),
            jti: "j-\(delivery.id)"
        )
    }

    @Test func theFirstWakeClaimsABatchTwiceTheSlots() {
        var machine = Machine(settings: Self.settings(concurrency: 4, perRP: 2))
        #expect(
            machine.wake(Self.now())
                == [
                    .claim(
                        ClaimRequest(limit: 8, available: [:], defaultAvailable: 4, rotation: 0, lease: .seconds(50))
                    )
                ]
        )
        // A claim is running: a second wake does not start another.
        #expect(machine.wake(Self.now(0.1)).isEmpty)
    }

    /// DEL-7: one RP never holds more than its cap; the next of its deliveries starts when a
    /// slot frees.
    @Test func thePerRPCapHoldsAndAFreedSlotStartsTheNext() {
        var machine = Machine(settings: Self.settings(perRP: 4))
        _ = machine.wake(Self.now())
        let claimed = Self.deliveries("a", 1...10)
        let first = machine.claimed(claimed, limit: 128, now: Self.now())
        #expect(Self.started(first) == [1, 2, 3, 4])
        #expect(first.last == .findNextDue)
        var generator = SystemRandomNumberGenerator()
        let next = machine.attemptFinished(
            Self.outcome(claimed[0], .response(HTTPAnswer(status: 204))),
            now: Self.now(1),
            using: &generator
        )
        #expect(Self.reports(next).map(\.transition.status) == [.delivered])
        #expect(Self.started(next) == [5])
        #expect(machine.inFlightTotal == 4 && machine.waitingTotal == 5)
    }

    /// from the breaker's threshold of failures in a row, an RP's claimed deliveries that
    /// wait for a slot go back unattempted, and while a failure is not yet stored (the store's
    /// breaker does not know of it) no claim takes more of that RP's work; an answer in between
    /// starts the count again.
    @Test func failuresInARowHoldBackTheRPsWorkUntilTheBreakerIsStored() {
        var settings = Self.settings(perRP: 4)
        settings.breaker = CircuitBreaker.Policy(threshold: 3)
        var machine = Machine(settings: settings)
        _ = machine.wake(Self.now())
        let claimed = Self.deliveries("a", 1...8)
        #expect(Self.started(machine.claimed(claimed, limit: 128, now: Self.now())) == [1, 2, 3, 4])
        var generator = SystemRandomNumberGenerator()
        func finish(_ index: Int, _ status: Int) -> [Machine.Action] {
            machine.attemptFinished(
                Self.outcome(claimed[index], .response(HTTPAnswer(status: status))),
                now: Self.now(1),
                using: &generator
            )
        }
        #expect(Self.started(finish(0, 503)) == [5])
        // An answer in between: the count starts again.
        #expect(Self.started(finish(1, 204)) == [6])
        #expect(Self.started(finish(2, 503)) == [7])
        #expect(Self.started(finish(3, 503)) == [8])
        #expect(machine.waitingTotal == 0)
        _ = machine.recorded(1, now: Self.now(1))
        _ = machine.recorded(2, now: Self.now(1))
        // Failures 3 and 4 are not stored: a claim takes nothing of "a".
        guard case .claim(let request)? = machine.wake(Self.now(1)).last else {
            Issue.record("no claim")
            return
        }
        #expect(request.available["a"] == 0)
        _ = machine.claimed(Self.deliveries("a", 9...10), limit: 128, now: Self.now(1))
        #expect(machine.waitingTotal == 2)
        // The third in a row: what waits goes back, nothing starts.
        let third = finish(4, 503)
        #expect(Self.started(third).isEmpty)
        #expect(third.contains(.releaseLeases([9, 10])))
        #expect(machine.waitingTotal == 0)
        // Once every failure is stored, the store's breaker decides what a claim gets.
        for id: Int64 in [3, 4, 5] { _ = machine.recorded(id, now: Self.now(2)) }
        guard case .claim(let later)? = machine.wake(Self.now(2)).last else {
            Issue.record("no claim")
            return
        }
        #expect(later.available["a"] != 0)
    }

    /// failures in a row are this engine's view until they are stored. Once it holds
    /// nothing of an RP, or has handed its work back, it counts afresh: a probe that succeeded
    /// elsewhere, or time, is the stored breaker's to know, and one later failure hands nothing back.
    @Test func failuresInARowAreForgottenWhenTheRPIsIdleHere() {
        var settings = Self.settings(perRP: 1)
        settings.breaker = CircuitBreaker.Policy(threshold: 2)
        var machine = Machine(settings: settings)
        var generator = SystemRandomNumberGenerator()
        func failOne(_ delivery: ClaimedDelivery) -> [Machine.Action] {
            let actions = machine.attemptFinished(
                Self.outcome(delivery, .response(HTTPAnswer(status: 503))),
                now: Self.now(1),
                using: &generator
            )
            _ = machine.recorded(delivery.id, now: Self.now(1))
            return actions
        }
        _ = machine.wake(Self.now())
        let first = Self.deliveries("a", 1...1)
        _ = machine.claimed(first, limit: 128, now: Self.now())
        _ = failOne(first[0])
        // Idle here: the next failure is the first again.
        _ = machine.wake(Self.now(2))
        let later = Self.deliveries("a", 2...4)
        #expect(Self.started(machine.claimed(later, limit: 128, now: Self.now(2))) == [2])
        let afterIdle = failOne(later[0])
        #expect(!afterIdle.contains { if case .releaseLeases = $0 { true } else { false } })
        #expect(Self.started(afterIdle) == [3])
        // The second in a row hands back what waits, and the count starts again.
        #expect(failOne(later[1]).contains(.releaseLeases([4])))
        _ = machine.wake(Self.now(3))
        let probe = Self.deliveries("a", 5...6)
        #expect(Self.started(machine.claimed(probe, limit: 128, now: Self.now(3))) == [5])
        #expect(Self.started(failOne(probe[0])) == [6])
    }

    /// DEL-7 slow start: an RP gets one slot until it answers, its full share once it has, and
    /// one again after an attempt without an answer; a hanging RP holds one slot, not eight.
    @Test func anRPEarnsItsSlotsByAnsweringAndLosesThemByHanging() {
        var settings = Self.settings(perRP: 4, slowStart: true)
        settings.breaker = CircuitBreaker.Policy(threshold: 100)  // not what this row is about
        var machine = Machine(settings: settings)
        guard case .claim(let first)? = machine.wake(Self.now()).first else {
            Issue.record("no claim")
            return
        }
        #expect(first.defaultAvailable == 2, "one slot, claimed twice ahead")
        let claimed = Self.deliveries("a", 1...10)
        #expect(Self.started(machine.claimed(claimed, limit: 128, now: Self.now())) == [1])
        var generator = SystemRandomNumberGenerator()
        let answered = machine.attemptFinished(
            Self.outcome(claimed[0], .response(HTTPAnswer(status: 503))),
            now: Self.now(1),
            using: &generator
        )
        #expect(Self.started(answered) == [2, 3, 4, 5], "an answer, even an error, earns the full share")
        let hung = machine.attemptFinished(
            Self.outcome(claimed[1], .transportFailure(.timeout, detail: "no answer within 10 s")),
            now: Self.now(11),
            using: &generator
        )
        #expect(Self.started(hung).isEmpty, "three still in flight, one slot now")
        for delivery in claimed[2...4] {
            _ = machine.attemptFinished(
                Self.outcome(delivery, .transportFailure(.timeout, detail: "no answer")),
                now: Self.now(11),
                using: &generator
            )
        }
        #expect(machine.inFlightTotal == 1, "back to one slot after attempts without an answer")
    }

    /// DEL-7: the global cap holds across RPs; the next claim asks only for what RPs can take.
    @Test func theGlobalCapHoldsAcrossRPs() {
        var machine = Machine(settings: Self.settings(concurrency: 3, perRP: 2))
        _ = machine.wake(Self.now())
        let actions = machine.claimed(
            Self.deliveries("a", 1...2) + Self.deliveries("b", 3...4),
            limit: 6,
            now: Self.now()
        )
        #expect(Self.started(actions) == [1, 2, 3])
        #expect(machine.inFlightTotal == 3 && machine.waitingTotal == 1)
        guard case .claim(let request)? = machine.wake(Self.now(0.5)).first else {
            Issue.record("no claim for the remaining room")
            return
        }
        #expect(request.limit == 2 && request.available == ["a": 2, "b": 2])
    }

    /// RES-5: a subject-wide delivery whose subject logged in again is skipped, not attempted.
    @Test func aLateSubjectWideLogoutIsSkippedWithTheReason() {
        var machine = Machine(settings: Self.settings())
        _ = machine.wake(Self.now())
        var late = Self.deliveries("a", 1...1)[0]
        late.sid = nil
        late.newerSessionExists = true
        let actions = machine.claimed([late], limit: 128, now: Self.now())
        #expect(Self.started(actions).isEmpty)
        #expect(
            Self.reports(actions).map(\.transition) == [
                .skipped(attempts: 0, reason: LateLogoutGuard.reason, at: Self.now().wall)
            ]
        )
        #expect(machine.recorded(1, now: Self.now()).isEmpty && machine.heldCount == 0)
    }

    /// a stored outcome makes its row claimable before the `recorded` input reaches the
    /// machine. The retry claimed in between must still be recorded when it finishes: the late
    /// input closes the first lease only (found as a retry that waited out a whole lease).
    @Test func aRetryClaimedBeforeThePreviousOutcomeIsAcknowledgedIsStillRecorded() {
        var machine = Machine(settings: Self.settings())
        var generator = SystemRandomNumberGenerator()
        _ = machine.wake(Self.now())
        let delivery = Self.deliveries("a", 1...1)[0]
        #expect(Self.started(machine.claimed([delivery], limit: 128, now: Self.now())) == [1])
        let first = machine.attemptFinished(
            Self.outcome(delivery, .response(HTTPAnswer(status: 503))),
            now: Self.now(0.1),
            using: &generator
        )
        #expect(Self.reports(first).count == 1)
        _ = machine.wake(Self.now(0.2))
        var retry = delivery
        retry.attempts = 1
        #expect(Self.started(machine.claimed([retry], limit: 128, now: Self.now(0.2))) == [1])
        #expect(machine.recorded(1, now: Self.now(0.3)).isEmpty && machine.heldCount == 1)
        let second = machine.attemptFinished(
            Self.outcome(retry, .response(HTTPAnswer(status: 200)), at: 0.3),
            now: Self.now(0.4),
            using: &generator
        )
        #expect(Self.reports(second).map(\.transition.status) == [.delivered])
        #expect(machine.recorded(1, now: Self.now(0.5)).isEmpty && machine.heldCount == 0)
    }

    /// Q-2, DEL-6: the next attempt is due after the backoff, or the RP's Retry-After if longer.
    @Test(arguments: [
        (nil as String?, Duration.seconds(5)), ("120", .seconds(120)), ("999999", .seconds(3600)), ("1", .seconds(5)),
    ])
    func aRetryIsDueAfterTheBackoffOrTheRPsRetryAfter(retryAfter: String?, delay: Duration) {
        var machine = Machine(settings: Self.settings())
        _ = machine.wake(Self.now())
        let delivery = Self.deliveries("a", 1...1)[0]
        _ = machine.claimed([delivery], limit: 128, now: Self.now())
        var generator = SystemRandomNumberGenerator()
        let actions = machine.attemptFinished(
            Self.outcome(delivery, .response(HTTPAnswer(status: 503, retryAfter: retryAfter)), at: 2),
            now: Self.now(2.25),
            using: &generator
        )
        let report = Self.reports(actions).first
        #expect(report?.transition.status == .retrying)
        #expect(report?.transition.nextAttemptAt == Self.wall0 + .milliseconds(2250) + delay)
        #expect(report?.attempt?.jti == "j-1" && report?.attempt?.statusCode == 503)
    }

    @Test(arguments: [
        (nil as Double?, Duration.seconds(5)), (3, .seconds(3)), (-10, .milliseconds(20)), (0, .milliseconds(20)),
    ])
    func itSleepsUntilTheNextDeliveryIsDue(dueIn: Double?, sleep: Duration) {
        let machine = Machine(settings: Self.settings())
        let due = dueIn.map { Self.wall0 + .seconds(clamping: $0) }
        #expect(machine.nextDue(due, now: Self.now()) == [.sleep(until: Self.t0 + sleep)])
    }

    @Test func aFullBatchSleepsAndAFailedClaimRetriesInASecond() {
        var machine = Machine(settings: Self.settings(concurrency: 1, perRP: 1))
        _ = machine.wake(Self.now())
        let actions = machine.claimed(Self.deliveries("a", 1...2), limit: 2, now: Self.now())
        #expect(actions.last == .sleep(until: Self.t0 + .seconds(5)))
        var other = Machine(settings: Self.settings())
        _ = other.wake(Self.now())
        #expect(other.claimFailed(now: Self.now()) == [.sleep(until: Self.t0 + .seconds(1))])
        guard case .claim? = other.wake(Self.now(1)).first else {
            Issue.record("no claim after the failed one")
            return
        }
    }

    /// waiting deliveries go back at once; attempts in flight finish within the stop timeout.
    @Test func aGracefulStopHandsBackWaitingWorkAndWaitsForAttempts() {
        var machine = Machine(settings: Self.settings(perRP: 2))
        _ = machine.wake(Self.now())
        let claimed = Self.deliveries("a", 1...5)
        _ = machine.claimed(claimed, limit: 128, now: Self.now())
        #expect(
            machine.shutdownRequested(now: Self.now(1))
                == [.releaseLeases([3, 4, 5]), .sleep(until: Self.t0 + .seconds(16))]
        )
        var generator = SystemRandomNumberGenerator()
        let finished = machine.attemptFinished(
            Self.outcome(claimed[0], .response(HTTPAnswer(status: 200))),
            now: Self.now(2),
            using: &generator
        )
        #expect(Self.started(finished).isEmpty, "no new attempt starts during a stop")
        #expect(machine.recorded(1, now: Self.now(2)).isEmpty)
        _ = machine.attemptFinished(
            Self.outcome(claimed[1], .response(HTTPAnswer(status: 200))),
            now: Self.now(3),
            using: &generator
        )
        #expect(machine.recorded(2, now: Self.now(3)) == [.stop])
    }

    /// an attempt that outlasts the stop timeout is cancelled and its lease handed back.
    @Test func aGracefulStopCancelsWhatOutlastsTheTimeout() {
        var machine = Machine(settings: Self.settings())
        _ = machine.wake(Self.now())
        let claimed = Self.deliveries("a", 1...1)
        _ = machine.claimed(claimed, limit: 128, now: Self.now())
        _ = machine.shutdownRequested(now: Self.now())
        #expect(machine.wake(Self.now(14)) == [.sleep(until: Self.t0 + .seconds(15))])
        #expect(machine.wake(Self.now(15)) == [.cancelAttempts, .releaseLeases([1]), .stop])
        // The cancelled attempt reports late: nothing is recorded, its lease was handed back.
        var generator = SystemRandomNumberGenerator()
        #expect(
            machine.attemptFinished(
                Self.outcome(claimed[0], .transportFailure(.timeout, detail: "x")),
                now: Self.now(16),
                using: &generator
            )
            .isEmpty
        )
    }

    /// Q-5 and rulebook Q-5's clock rows: a wall clock stepping back one hour would push every
    /// retry an hour later; the machine asks the store to bound due times. Stepping forward two
    /// days only makes work due, which is simply claimed.
    @Test(arguments: [
        ("steps back one hour", Duration.seconds(-3600), true),
        ("steps back one second (within tolerance)", .seconds(-1), false),
        ("forward two days", .seconds(2 * 86_400), false),
    ])
    func wallClockSteps(name: String, step: Duration, bounds: Bool) {
        var machine = Machine(settings: Self.settings())
        _ = machine.wake(Self.now())
        _ = machine.claimed([], limit: 128, now: Self.now())
        let actions = machine.wake(Self.now(10, wallStep: step))
        #expect(actions.contains(.boundDueTimes(latest: .seconds(3600))) == bounds, "\(name)")
        guard case .claim? = actions.last else {
            Issue.record("\(name): the queue froze")
            return
        }
        // A delivery made due by a forward step is due now: the engine looks again at once.
        if step > .zero {
            #expect(
                machine.nextDue(Self.wall0 + .seconds(60), now: Self.now(10, wallStep: step))
                    == [.sleep(until: Self.t0 + .seconds(10) + .milliseconds(20))]
            )
        }
    }
}
