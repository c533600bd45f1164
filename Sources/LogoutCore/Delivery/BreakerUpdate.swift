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
        var breakers = current
        for (report, clientID) in stored {
            guard let input = report.breaker else { continue }
            var breaker = breakers[clientID] ?? CircuitBreaker()
            breaker.record(
                input.verdict,
                now: report.attempt.map { $0.startedAt + $0.duration } ?? .distantPast,
                policy: input.policy
            )
            breakers[clientID] = breaker
        }
        return breakers.filter { clientID, breaker in breaker != (current[clientID] ?? CircuitBreaker()) }
    }
}
