/// One RP's circuit breaker (rulebook Q-4): an RP that has been down for hours should not get the
/// full retry schedule of every logout at once, and its deliveries should not use up their
/// attempts against a closed door.
///
/// After `threshold` consecutive retryable failures the breaker opens: the RP's deliveries wait,
/// not counted as attempts, while one probe at a time (a real delivery) tries the RP with
/// growing pauses (30 s, 1 m, 2 m … 10 m). The first answer that is not a retryable failure
/// closes it, and the waiting deliveries go out. A permanent refusal (400, say) closes it too:
/// the RP is up, it only refused that token.
///
/// The state lives with the RP in the store, so several daemons sharing a store share it.
public struct CircuitBreaker: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case closed
        case open
        /// A probe is out; no other delivery goes until its answer (or `nextProbeAt`, its lease).
        case probing
    }

    public struct Policy: Sendable, Equatable {
        public var threshold: Int
        public var initialPause: Duration
        public var maximumPause: Duration

        public init(threshold: Int = 5, initialPause: Duration = .seconds(30), maximumPause: Duration = .seconds(600)) {
            self.threshold = threshold
            self.initialPause = initialPause
            self.maximumPause = maximumPause
        }

        /// The pause after the `probes`-th failed probe (0 for the opening itself).
        public func pause(afterProbes probes: Int) -> Duration {
            var pause = initialPause
            for _ in 0..<min(max(0, probes), 32) where pause < maximumPause { pause = pause * 2 }
            return min(pause, maximumPause)
        }
    }

    /// What a claim may take from this RP now.
    public enum Admission: Sendable, Equatable {
        case all
        /// One delivery, as a probe.
        case probe
        case none
    }

    public var state: State = .closed
    public var consecutiveFailures = 0
    /// When the breaker last changed state.
    public var since: Timestamp?
    public var lastError: String?
    /// When an open breaker may send its next probe; for a probe out, when it counts as lost.
    public var nextProbeAt: Timestamp?
    /// Probes that failed since the breaker opened.
    public var failedProbes = 0

    public init() {}

    public func admission(now: Timestamp) -> Admission {
        switch state {
        case .closed: return .all
        case .open, .probing:
            guard let nextProbeAt else { return .probe }
            return now >= nextProbeAt ? .probe : .none
        }
    }

    /// A probe was claimed; `lease` bounds how long it may stay out.
    public mutating func probeStarted(now: Timestamp, lease: Duration) {
        state = .probing
        nextProbeAt = now + lease
    }

    /// An attempt ended: the RP answered, refused, or could not be reached.
    public mutating func record(_ verdict: DeliveryClassifier.Verdict, now: Timestamp, policy: Policy) {
        switch verdict {
        case .delivered, .permanent:
            if state != .closed { since = now }
            state = .closed
            consecutiveFailures = 0
            failedProbes = 0
            nextProbeAt = nil
            if case .delivered = verdict { lastError = nil }
        case .retryable(_, let reason, let retryAfter):
            consecutiveFailures += 1
            lastError = SafeText.printable(reason, limit: 200)
            switch state {
            case .closed:
                guard consecutiveFailures >= policy.threshold else { return }
                state = .open
                since = now
                failedProbes = 0
                nextProbeAt = now + max(policy.pause(afterProbes: 0), min(retryAfter ?? .zero, policy.maximumPause))
            case .open, .probing:
                failedProbes += 1
                state = .open
                nextProbeAt =
                    now + max(policy.pause(afterProbes: failedProbes), min(retryAfter ?? .zero, policy.maximumPause))
            }
        }
    }
}
