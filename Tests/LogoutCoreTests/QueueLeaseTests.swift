import LogoutCore
import Testing

/// a claimed job starts only while its lease can still cover the attempt and the storing of
/// its outcome. A replica paused (SIGSTOP, a VM stall) past its leases wakes to find another
/// replica delivering what it had claimed: it must not reach the RP a second time.
@Suite struct QueueLeaseTests {
    typealias Machine = DeliveryStateMachine
    static let t0 = ContinuousClock.now
    static let wall0 = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func now(monotonic: Double, wall: Double) -> Machine.Now {
        Machine.Now(wall: wall0 + .seconds(clamping: wall), monotonic: t0 + .seconds(clamping: monotonic))
    }

    /// One slot for the RP, a 10 s timeout and the default lease: 2 × 10 s + 30 s = 50 s.
    static let settings = Machine.Settings(
        perRPConcurrency: 1,
        retryPolicy: RetryPolicy(jitter: 0),
        attemptTimeout: .seconds(10),
        slowStart: false
    )

    static func deliveries(_ ids: ClosedRange<Int64>) -> [ClaimedDelivery] {
        ids.map {
            ClaimedDelivery(id: $0, eventID: 1, clientID: "a", sub: "u", sid: nil, createdAt: wall0, uri: "https://a/")
        }
    }

    /// The first delivery's attempt answers at `now`: its slot frees for the next.
    static func finishFirst(
        _ machine: inout Machine,
        _ claimed: [ClaimedDelivery],
        at now: Machine.Now
    )
        -> [Machine.Action]
    {
        var generator = SystemRandomNumberGenerator()
        return machine.attemptFinished(
            .init(
                delivery: claimed[0],
                result: .response(HTTPAnswer(status: 200)),
                startedAt: wall0,
                duration: .seconds(1),
                jti: "j-1"
            ),
            now: now,
            using: &generator
        )
    }

    @Test func theDefaultLeaseIsTwiceTheTimeoutPlusHalfAMinute() {
        #expect(Self.settings.lease == .seconds(50))
        #expect(Machine.Settings(attemptTimeout: .seconds(10), lease: .seconds(120)).lease == .seconds(120))
    }

    /// The second delivery waits for the first's slot; when the first finishes at `finished`
    /// (by each clock), the second starts only if 50 s − 10 s − 5 s = 35 s have not passed since
    /// the claim was asked for.
    @Test(
        arguments: [
            ("a slot frees after 20 s", 20.0, 20.0, true),
            ("at 35 s, the last moment its lease covers an attempt", 35.0, 35.0, true),
            ("paused 40 s (SIGSTOP): both clocks moved", 40.0, 40.0, false),
            ("paused past the lease", 75.0, 75.0, false),
            ("only the wall clock moved (a forward step, or a stall the monotonic clock missed)", 1.0, 60.0, false),
            ("the wall clock stepped back: the monotonic clock still counts", 60.0, -30.0, false),
        ]
    )
    func aWaitingJobStartsOnlyWhileItsLeaseCoversTheAttempt(
        _ row: String,
        monotonic: Double,
        wall: Double,
        starts: Bool
    ) {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        let claimed = Self.deliveries(1...2)
        let first = machine.claimed(claimed, limit: 128, now: Self.now(monotonic: 0.5, wall: 0.5))
        #expect(first.contains(.start([claimed[0]])), "\(row)")
        let finished = Self.finishFirst(&machine, claimed, at: Self.now(monotonic: monotonic, wall: wall))
        if starts {
            #expect(finished.contains(.start([claimed[1]])), "\(row)")
            #expect(machine.heldCount == 2)
        } else {
            #expect(!finished.contains { if case .start = $0 { true } else { false } }, "\(row)")
            #expect(finished.contains(.leaseExpired([2])), "\(row)")
            // Forgotten, not handed back: the lease is no longer ours to hand.
            #expect(!finished.contains { if case .releaseLeases = $0 { true } else { false } }, "\(row)")
            #expect(machine.heldCount == 1 && machine.waitingTotal == 0, "\(row)")
        }
    }

    /// The claim's time is when it was asked for, not when its answer came: a claim that took
    /// long to commit has used part of the lease already.
    @Test func theLeaseCountsFromTheClaimRequest() {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        let claimed = Self.deliveries(1...2)
        _ = machine.claimed(claimed, limit: 128, now: Self.now(monotonic: 30, wall: 30))
        let finished = Self.finishFirst(&machine, claimed, at: Self.now(monotonic: 36, wall: 36))
        #expect(finished.contains(.leaseExpired([2])))
    }

    /// The decision to start is not the start: a pause can fall between it and the attempt's
    /// task. The task checks the deadline the machine gives (35 s after the claim request, by
    /// each clock); one that finds it passed reports the job not started, which frees its slot.
    @Test func theAttemptsTaskChecksTheLeaseAgainBeforeItBegins() throws {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        let claimed = Self.deliveries(1...2)
        _ = machine.claimed(claimed, limit: 128, now: Self.now(monotonic: 0.5, wall: 0.5))
        let deadline = try #require(machine.startDeadline(for: 1))
        #expect(deadline == Self.now(monotonic: 35, wall: 35))
        #expect(Self.now(monotonic: 35, wall: 35).isNotAfter(deadline))
        #expect(!Self.now(monotonic: 35.5, wall: 1).isNotAfter(deadline), "the monotonic clock alone")
        #expect(!Self.now(monotonic: 1, wall: 35.5).isNotAfter(deadline), "the wall clock alone")
        // Paused 40 s before the task ran: the task reports it, nothing was sent.
        let actions = machine.notStarted(claimed[0], now: Self.now(monotonic: 40, wall: 40))
        #expect(actions.contains(.leaseExpired([1])))
        #expect(actions.contains(.leaseExpired([2])), "the next one's lease ran out in the same pause")
        #expect(machine.heldCount == 0 && machine.inFlightTotal == 0 && machine.startDeadline(for: 1) == nil)
    }

    /// A waiting job whose lease ran out is passed over, and the next one waiting for the same
    /// RP, claimed later under a lease that still covers it, takes the freed slot in the same step.
    @Test func anExpiredWaitingJobGivesItsTurnToTheNextOne() {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        let claimed = Self.deliveries(1...3)
        _ = machine.claimed(Array(claimed[0...1]), limit: 128, now: Self.now(monotonic: 0.5, wall: 0.5))
        _ = machine.wake(Self.now(monotonic: 30, wall: 30))
        _ = machine.claimed([claimed[2]], limit: 128, now: Self.now(monotonic: 30.5, wall: 30.5))
        #expect(machine.waitingTotal == 2)
        let finished = Self.finishFirst(&machine, claimed, at: Self.now(monotonic: 40, wall: 40))
        #expect(finished.contains(.leaseExpired([2])))
        #expect(finished.contains(.start([claimed[2]])))
        // Held: the first until its outcome is stored, and the third; the second is forgotten.
        #expect(machine.waitingTotal == 0 && machine.inFlightTotal == 1 && machine.heldCount == 2)
    }

    /// A job claimed again while it still waits here (its lease ran out and no replica took
    /// it) waits once, under the new lease: under the old one its outcome would be dropped.
    @Test func aJobClaimedAgainWhileItWaitsWaitsOnceUnderTheNewLease() {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        var claimed = Self.deliveries(1...2)
        _ = machine.claimed(claimed, limit: 128, now: Self.now(monotonic: 0.5, wall: 0.5))
        #expect(machine.waitingTotal == 1 && machine.heldCount == 2)
        _ = machine.wake(Self.now(monotonic: 60, wall: 60))
        claimed[1].leaseStamp = 42
        _ = machine.claimed([claimed[1]], limit: 128, now: Self.now(monotonic: 60.5, wall: 60.5))
        #expect(machine.waitingTotal == 1 && machine.heldCount == 2)
        let finished = Self.finishFirst(&machine, claimed, at: Self.now(monotonic: 61, wall: 61))
        #expect(finished.contains(.start([claimed[1]])), "started under the new lease, counted from its claim")
    }

    /// The new claim reads the row again: a subject who signed in again meanwhile (RES-5) ends
    /// the waiting job without an attempt, as it would any claim.
    @Test func aJobClaimedAgainWhileItWaitsIsJudgedByTheNewClaim() {
        var machine = Machine(settings: Self.settings)
        _ = machine.wake(Self.now(monotonic: 0, wall: 0))
        var claimed = Self.deliveries(1...2)
        _ = machine.claimed(claimed, limit: 128, now: Self.now(monotonic: 0.5, wall: 0.5))
        _ = machine.wake(Self.now(monotonic: 60, wall: 60))
        claimed[1].newerSessionExists = true
        let again = machine.claimed([claimed[1]], limit: 128, now: Self.now(monotonic: 60.5, wall: 60.5))
        #expect(again.contains { if case .record(let report) = $0 { report.deliveryID == 2 } else { false } })
        #expect(machine.waitingTotal == 0 && machine.heldCount == 2, "held until its skip is recorded")
        _ = machine.recorded(2, now: Self.now(monotonic: 61, wall: 61))
        #expect(machine.heldCount == 1)
    }
}
