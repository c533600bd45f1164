/// The queue engine's decisions, as a value, for every kind of job (deliveries, revocations):
/// inputs in (a batch claimed, an attempt finished, a record stored, a wake-up, a stop), actions
/// out (claim, start these attempts, record this result, sleep until, release leases, stop). The
/// dispatcher is a thin shell that performs the actions against the store and the network;
/// nothing here does I/O or reads a clock, so every rule — the global and per-target caps and
/// slow start (DEL-7), retries and `Retry-After` (Q-2, DEL-6), what ends a job without an attempt
/// (RES-5), the graceful stop and wall-clock steps — is a row of a table-driven test. What
/// differs between kinds (how an answer reads, what is stored) is `Kind`'s.
///
/// The queue itself stays in the store: the machine only holds leases. Claims are batched (a claim
/// is a committed write, and a commit costs an fsync): each target may hold up to `batchFactor`
/// times its concurrency, in flight plus waiting for a slot; waiting jobs start as slots free up.
public struct QueueStateMachine<Kind: QueueJobKind>: Sendable {
    enum Phase: Sendable, Equatable {
        case running
        case draining(deadline: ContinuousClock.Instant)
        case stopped
    }

    public let settings: Settings
    /// Attempts running, per target.
    var inFlight: [String: Int] = [:]
    /// Claimed jobs waiting for a slot of their target, oldest first.
    var waiting: [String: [Kind.Job]] = [:]
    /// Every job leased by us and not yet recorded, with how many of our leases on it are
    /// open. A count, not a set: an outcome is stored (so the row may be claimed again) before its
    /// `recorded` input reaches the machine, and that late input must close the old lease only.
    var held: [Int64: Int] = [:]
    private(set) var claiming = false
    /// Targets whose last attempt got an answer: they have earned their full concurrency.
    private(set) var answering: Set<String> = []
    var phase: Phase = .running
    /// Q-4, for kinds with breakers: retryable failures in a row per target, as seen here.
    private(set) var failuresInARow: [String: Int] = [:]
    /// Failed attempts whose outcome is not stored yet, by job, with their target. Until it is,
    /// the store's breaker does not know of it: the target's claims wait for it, or a slow commit
    /// would let claim after claim reach an RP that is down.
    private(set) var failuresBeingRecorded: [Int64: String] = [:]
    private var rotation = 0
    private var clockReference: Now?
    /// When the claim in progress was asked for: no later than the store's lease began.
    private var claimAskedAt: Now?
    /// when each waiting job was claimed, to check its lease before it starts.
    var claimedAt: [Int64: Now] = [:]
    /// the last instant each started job may begin its attempt, which the shell checks
    /// again when the attempt's task runs (a pause can fall between the decision and the task).
    var startBy: [Int64: Now] = [:]

    public init(settings: Settings) {
        self.settings = settings
    }

    public var inFlightTotal: Int { inFlight.values.reduce(0, +) }
    public var waitingTotal: Int { waiting.values.reduce(0) { $0 + $1.count } }
    public var heldCount: Int { held.values.reduce(0, +) }

    // MARK: Inputs

    /// The engine was woken (work was queued, an attempt finished, a sleep ended).
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func wake(_ now: Now) -> [Action] {
        var actions = clockCheck(now)
        switch phase {
        case .stopped:
            return [.stop]
        case .draining(let deadline):
            if held.isEmpty {
                phase = .stopped
                return actions + [.stop]
            }
            if now.monotonic >= deadline {
                let remaining = held.keys.sorted()
                held = [:]
                inFlight = [:]
                startBy = [:]
                phase = .stopped
                return actions + [.cancelAttempts, .releaseLeases(remaining), .stop]
            }
            return actions + [.sleep(until: deadline)]
        case .running:
            actions += startWaiting(now)
            if claiming { return actions }
            let room = settings.batchFactor * settings.concurrency - inFlightTotal - waitingTotal
            guard room > 0 else { return actions + [.sleep(until: now.monotonic + settings.idlePoll)] }
            claiming = true
            var available: [String: Int] = [:]
            for clientID in answering { available[clientID] = claimAhead(clientID) }
            for (clientID, count) in inFlight { available[clientID, default: claimAhead(clientID)] -= count }
            for (clientID, list) in waiting { available[clientID, default: claimAhead(clientID)] -= list.count }
            for clientID in failuresBeingRecorded.values { available[clientID] = 0 }
            let request = ClaimRequest(
                limit: room,
                available: available.mapValues { max(0, $0) },
                defaultAvailable: settings.slowStart ? settings.batchFactor : perRPBatch,
                rotation: rotation,
                lease: settings.lease
            )
            rotation &+= 1
            claimAskedAt = now
            return actions + [.claim(request)]
        }
    }

    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func claimed(_ jobs: [Kind.Job], limit: Int, now: Now) -> [Action] {
        claiming = false
        let asked = claimAskedAt ?? now
        claimAskedAt = nil
        var actions: [Action] = []
        for job in jobs {
            // Claimed again while it still waits here (its lease ran out, no replica took it):
            // the new lease replaces the old one, under which its outcome would be dropped, in
            // its place. What the new claim read decides, as for any claim (RES-5: a newer
            // session now).
            let waitingAt = waiting[job.target]?.firstIndex(where: { $0.id == job.id })
            if waitingAt == nil { held[job.id, default: 0] += 1 }
            if let report = Kind.endWithoutAttempt(job, now: now.wall) {
                if let waitingAt {
                    waiting[job.target]?.remove(at: waitingAt)
                    if waiting[job.target]?.isEmpty == true { waiting[job.target] = nil }
                    claimedAt[job.id] = nil
                }
                actions.append(.record(report))
            } else {
                if let waitingAt {
                    waiting[job.target]?[waitingAt] = job
                } else {
                    waiting[job.target, default: []].append(job)
                }
                claimedAt[job.id] = asked
            }
        }
        if case .draining = phase {
            // Claimed while a stop was requested: hand them straight back.
            let ids = waiting.values.flatMap { $0.map(\.id) }
            waiting = [:]
            claimedAt = [:]
            release(ids)
            return actions + (ids.isEmpty ? [] : [.releaseLeases(ids.sorted())]) + wake(now)
        }
        actions += startWaiting(now)
        if jobs.count >= limit {
            return actions + [.sleep(until: now.monotonic + settings.idlePoll)]
        }
        return actions + [.findNextDue]
    }

    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func claimFailed(now: Now) -> [Action] {
        claiming = false
        claimAskedAt = nil
        return [.sleep(until: now.monotonic + .seconds(1))]
    }

    /// The network part of an attempt is over: its slot is free for the next job of that
    /// target, while the outcome is being stored.
    @_specialize(exported:true,where Kind == DeliveryJobs, G == SystemRandomNumberGenerator)
    @_specialize(exported:true,where Kind == RevocationJobs, G == SystemRandomNumberGenerator)
    @_specialize(exported:true,where Kind == SecurityEventJobs, G == SystemRandomNumberGenerator)
    public mutating func attemptFinished<G: RandomNumberGenerator>(
        _ outcome: AttemptOutcome,
        now: Now,
        using generator: inout G
    ) -> [Action] {
        let job = outcome.job
        releaseSlot(job.target)
        startBy[job.id] = nil
        defer { forgetIdle(job.target) }
        if case .response = outcome.result, outcome.notAttempted == nil {
            answering.insert(job.target)
        } else {
            answering.remove(job.target)
        }
        guard held[job.id] != nil else { return [] }  // cancelled at a stop: already handed back
        var actions: [Action] = [.record(Kind.report(outcome, settings: settings, using: &generator))]
        if Kind.hasBreakers { actions += countTowardsTheBreaker(outcome) }
        if phase == .running { actions += startWaiting(now) }
        return actions
    }

    /// at the breaker's threshold of failures in a row, the target's claimed jobs that wait
    /// for a slot go back unattempted (the stored breaker decides when to probe), and until each
    /// failure is stored, no new job of the target is claimed.
    private mutating func countTowardsTheBreaker(_ outcome: AttemptOutcome) -> [Action] {
        guard outcome.notAttempted == nil else { return [] }
        let target = outcome.job.target
        guard case .retryable = Kind.breakerVerdict(outcome.result) else {
            failuresInARow[target] = nil
            return []
        }
        failuresBeingRecorded[outcome.job.id] = target
        failuresInARow[target, default: 0] += 1
        guard failuresInARow[target, default: 0] >= settings.breaker.threshold else { return [] }
        // Counted afresh from here: the stored breaker is the one that knows more.
        failuresInARow[target] = nil
        guard let jobs = waiting.removeValue(forKey: target) else { return [] }
        let ids = jobs.map(\.id)
        for id in ids { claimedAt[id] = nil }
        release(ids)
        return [.releaseLeases(ids.sorted())]
    }

    /// An outcome is stored: its lease is over.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func recorded(_ deliveryID: Int64, now: Now) -> [Action] {
        release([deliveryID])
        if let target = failuresBeingRecorded.removeValue(forKey: deliveryID) { forgetIdle(target) }
        if case .draining = phase, held.isEmpty {
            phase = .stopped
            return [.stop]
        }
        return []
    }

    /// Storing an outcome failed: the lease expires and the delivery is attempted again, at least
    /// once, never lost. We no longer hold it.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func recordFailed(_ deliveryID: Int64, now: Now) -> [Action] {
        recorded(deliveryID, now: now)
    }

    /// jobs waiting for a slot go back at once; attempts in flight get the stop timeout.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func shutdownRequested(now: Now) -> [Action] {
        guard phase == .running else { return [] }
        phase = .draining(deadline: now.monotonic + settings.shutdownTimeout)
        let ids = waiting.values.flatMap { $0.map(\.id) }
        waiting = [:]
        claimedAt = [:]
        release(ids)
        var actions: [Action] = ids.isEmpty ? [] : [.releaseLeases(ids.sorted())]
        actions += wake(now)
        return actions
    }

    // MARK: Decisions

    mutating func release(_ ids: [Int64]) {
        for id in ids {
            guard let count = held[id] else { continue }
            held[id] = count > 1 ? count - 1 : nil
        }
    }

    /// A target this engine holds nothing of has no failures in a row here: what happened since
    /// (a probe elsewhere, time) is the stored breaker's to know.
    mutating func forgetIdle(_ target: String) {
        guard inFlight[target] == nil, waiting[target] == nil, !failuresBeingRecorded.values.contains(target)
        else { return }
        failuresInARow[target] = nil
    }

    mutating func releaseSlot(_ clientID: String) {
        guard let count = inFlight[clientID] else { return }
        inFlight[clientID] = count > 1 ? count - 1 : nil
    }

    /// Compares the wall clock with the monotonic clock since the last input: a backward step
    /// asks the store to bound due times. A forward step needs nothing: what it makes due
    /// is simply claimed.
    private mutating func clockCheck(_ now: Now) -> [Action] {
        defer { clockReference = now }
        guard let reference = clockReference else { return [] }
        let expected = reference.wall + reference.monotonic.duration(to: now.monotonic)
        let step = expected.duration(to: now.wall)
        if step < .zero - settings.clockStepTolerance {
            return [.boundDueTimes(latest: settings.retryPolicy.maximumBackoff)]
        }
        return []
    }
}
