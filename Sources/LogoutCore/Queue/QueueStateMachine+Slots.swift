extension QueueStateMachine {
    /// - Parameter next: the earliest due time in the store, if anything waits.
    @_specialize(exported:true,where Kind == DeliveryJobs)
    @_specialize(exported:true,where Kind == RevocationJobs)
    @_specialize(exported:true,where Kind == SecurityEventJobs)
    public func nextDue(_ next: Timestamp?, now: Now) -> [Action] {
        guard let next else { return [.sleep(until: now.monotonic + settings.idlePoll)] }
        let delay = now.wall.duration(to: next)
        // Work due now that was not claimed became due a moment after the claim, or belongs to
        // an RP whose slots are all taken (a finishing attempt wakes us then): look again soon.
        if delay <= .zero { return [.sleep(until: now.monotonic + settings.busyPoll)] }
        return [.sleep(until: now.monotonic + min(delay, settings.idlePoll))]
    }

    // MARK: Slots

    var perRPBatch: Int { settings.batchFactor * settings.perRPConcurrency }

    /// The slots a target may use now (slow start: one until it answers).
    func slots(_ clientID: String) -> Int {
        settings.slowStart && !answering.contains(clientID) ? 1 : settings.perRPConcurrency
    }

    /// How many jobs of a target a claim may hold, in flight and waiting.
    func claimAhead(_ clientID: String) -> Int { settings.batchFactor * slots(clientID) }
}
