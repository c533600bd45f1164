/// How a claim shares out the due work among targets (DEL-7, Q-4), written once for both stores:
/// each store lists the targets with something due, walks them in `round` order, asks `slots`
/// how many of each it may lease, leases at most that many, and saves what `afterClaim` returns.
public enum ClaimPlanner {
    /// What a claim may take from one target.
    public struct Slots: Sendable, Equatable {
        public var count: Int
        /// The breaker lets one probe through: the target's breaker must record it once leased.
        public var probe: Bool

        public init(count: Int, probe: Bool) {
            self.count = count
            self.probe = probe
        }
    }

    /// The targets in the order this claim serves them: starting at `rotation`, so that no
    /// target is always served first (DEL-7).
    public static func round<T>(_ targets: [T], rotation: Int) -> [T] {
        guard !targets.isEmpty else { return [] }
        let start = rotation % targets.count
        return Array(targets[start...] + targets[..<start])
    }

    /// - Parameters:
    ///   - remaining: what is left of the claim's overall limit.
    ///   - leasedElsewhere: leases the target holds right now across every replica sharing the
    ///     queue, with `cap` the cluster-wide bound; `nil` for a queue only this process claims.
    public static func slots(
        for target: String,
        _ request: ClaimRequest,
        remaining: Int,
        breaker: CircuitBreaker,
        now: Timestamp,
        leasedElsewhere: Int? = nil,
        cap: Int = .max
    ) -> Slots {
        var count = min(request.available[target] ?? request.defaultAvailable, remaining)
        // an open breaker lets one probe through when its pause is over, else nothing.
        let admission = breaker.admission(now: now)
        switch admission {
        case .none: return Slots(count: 0, probe: false)
        case .probe: count = min(count, 1)
        case .all: break
        }
        if let leasedElsewhere { count = min(count, cap - leasedElsewhere) }
        return Slots(count: max(0, count), probe: admission == .probe)
    }

    /// The breaker to save after leasing `leased` of a target's deliveries, if it changed: a
    /// probe out is recorded, with the lease bounding how long it may stay out.
    public static func afterClaim(
        _ breaker: CircuitBreaker,
        slots: Slots,
        leased: Int,
        now: Timestamp,
        lease: Duration
    ) -> CircuitBreaker? {
        guard slots.probe, leased > 0 else { return nil }
        var probing = breaker
        probing.probeStarted(now: now, lease: lease)
        return probing
    }
}
