/// What stored attempt outcomes do to their RPs' circuit breakers, written once for both
/// stores: a store writes the outcomes it may (a replica no longer holding a lease may not),
/// loads the breakers of their RPs, asks `apply`, and saves what changed, all in one transaction.
public enum BreakerUpdate {
    /// The RPs whose breakers the stored reports feed.
    public static func relyingParties(of stored: [(report: AttemptReport, clientID: String)]) -> Set<String> {
        Set(stored.filter { $0.report.breaker != nil }.map(\.clientID))
    }

    /// Each RP's verdicts applied in report order, as of each attempt's end; only the breakers
    /// that changed are returned.
    public static func apply(
        _ stored: [(report: AttemptReport, clientID: String)],
        to current: [String: CircuitBreaker]
    ) -> [String: CircuitBreaker] {
        apply(
            stored.map { report, clientID in
                (report.breaker, clientID, report.attempt.map { $0.startedAt + $0.duration } ?? .distantPast)
            },
            to: current
        )
    }

    /// The stream breakers fed by stored SET pushes.
    public static func streams(of stored: [SecurityEventReport]) -> Set<String> {
        Set(stored.filter { $0.breaker != nil }.map(\.streamID))
    }

    /// Each stream's verdicts applied in report order; only the breakers that changed.
    public static func apply(
        _ stored: [SecurityEventReport],
        to current: [String: CircuitBreaker]
    ) -> [String: CircuitBreaker] {
        apply(stored.map { ($0.breaker, $0.streamID, $0.finishedAt) }, to: current)
    }

    /// Any kind's verdicts by target, each as of its attempt's end.
    static func apply(
        _ verdicts: [(input: BreakerInput?, target: String, at: Timestamp)],
        to current: [String: CircuitBreaker]
    ) -> [String: CircuitBreaker] {
        var breakers = current
        for (input, target, at) in verdicts {
            guard let input else { continue }
            var breaker = breakers[target] ?? CircuitBreaker()
            breaker.record(input.verdict, now: at, policy: input.policy)
            breakers[target] = breaker
        }
        return breakers.filter { target, breaker in breaker != (current[target] ?? CircuitBreaker()) }
    }
}
