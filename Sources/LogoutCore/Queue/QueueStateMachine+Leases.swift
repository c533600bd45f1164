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
        var ready: [Kind.Job] = []
        var expired: [Int64] = []
        var total = inFlightTotal
        for clientID in waiting.keys.sorted() where total < settings.concurrency {
            while total < settings.concurrency, inFlight[clientID, default: 0] < slots(clientID),
                let next = waiting[clientID]?.first
            {
                waiting[clientID]?.removeFirst()
                if let claimed = claimedAt.removeValue(forKey: next.id) {
                    guard settings.leaseCoversAnAttempt(claimed: claimed, now: now) else {
                        expired.append(next.id)
                        continue
                    }
                    startBy[next.id] = settings.startDeadline(claimed: claimed)
                }
                inFlight[clientID, default: 0] += 1
                total += 1
                ready.append(next)
            }
            if waiting[clientID]?.isEmpty == true { waiting[clientID] = nil }
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
