/// a claimed job starts only while its lease still covers its attempt and the storing of
/// its outcome, checked when the machine decides to start it and again when the shell's task
/// is about to make the attempt (`startDeadline`, `notStarted`): a pause can fall in between.
extension QueueStateMachine {
    /// Moves waiting jobs into free slots, within the global and per-target bounds (DEL-7). A
    /// job whose lease can no longer cover its attempt is not started: this process was paused
    /// or starved past it, another replica may hold the job now, and an attempt would reach the
    /// RP a second time. It is forgotten here, not handed back: the lease is no longer ours to
    /// hand.
    mutating func startWaiting(_ now: Now) -> [Action] {
        var total = inFlightTotal
        // Every finished attempt asks: when nothing can start, no sort and no look-up.
        guard total < settings.concurrency, !waiting.isEmpty else { return [] }
        var ready: [Kind.Job] = []
        var expired: [Int64] = []
        // Each target's counts are looked up once, its waiting jobs reached by index: looked up
        // by id for every job, they were 1 % of a fan-out's instructions (callgrind).
        for clientID in waiting.keys.sorted() where total < settings.concurrency {
            let running = inFlight[clientID, default: 0]
            let limit = slots(clientID)
            guard running < limit, let index = waiting.index(forKey: clientID) else { continue }
            var started = 0
            var taken = 0
            while total < settings.concurrency, running + started < limit, taken < waiting.values[index].count {
                let next = waiting.values[index][taken]
                taken += 1
                if let claimed = claimedAt.removeValue(forKey: next.id) {
                    guard settings.leaseCoversAnAttempt(claimed: claimed, now: now) else {
                        expired.append(next.id)
                        continue
                    }
                    startBy[next.id] = settings.startDeadline(claimed: claimed)
                }
                started += 1
                total += 1
                ready.append(next)
            }
            if started > 0 { inFlight[clientID] = running + started }
            if taken == waiting.values[index].count {
                waiting.remove(at: index)
            } else {
                waiting.values[index].removeFirst(taken)
            }
        }
        release(expired)
        var actions: [Action] = expired.isEmpty ? [] : [.leaseExpired(expired.sorted())]
        if !ready.isEmpty { actions.append(.start(ready)) }
        return actions
    }

    /// The last instant, by both clocks, at which a started job's attempt may still begin.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public func startDeadline(for id: Int64) -> Now? { startBy[id] }

    /// The shell's task found the job's start deadline passed before it could make the attempt:
    /// the job is forgotten like one whose lease ran out while it waited, and its slot is free.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public mutating func notStarted(_ job: Kind.Job, now: Now) -> [Action] {
        startBy[job.id] = nil
        releaseSlot(job.target)
        release([job.id])
        defer { forgetIdle(job.target) }
        let actions: [Action] = [.leaseExpired([job.id])]
        switch phase {
        case .running: return actions + startWaiting(now)
        case .draining where held.isEmpty:
            phase = .stopped
            return actions + [.stop]
        case .draining, .stopped: return actions
        }
    }
}
