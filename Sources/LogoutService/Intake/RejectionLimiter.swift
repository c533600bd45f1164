import LogoutCore
import Synchronization

/// The rejection budgets (SEC-4), one for the daemon: the back-channel endpoint, `/end-session`,
/// its callback and the admin login form charge the same per-address buckets.
final class RejectionLimiter: Sendable {
    struct Limits: Sendable, Equatable {
        /// Rejections one client address (an IPv6 client's /64) may cause per minute.
        var perClient: Int
        /// Rejections attributed to one issuer (or to `unknown`) per minute, from all clients.
        var perIssuer: Int
    }

    private let budget = Mutex(RejectionBudget())
    private let logThrottle = Mutex(LogThrottle())
    private let limits: Limits
    private let now: @Sendable () -> ContinuousClock.Instant

    init(limits: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.limits = limits
        self.now = now
    }

    /// - Parameter issuer: the issuer a refused token named (or `unknown`); `nil` for the
    ///   browser routes, whose refusals are the address's alone.
    func charge(client: String?, issuer: String?) -> RejectionBudget.Verdict {
        var accounts: [RejectionBudget.Account] = []
        if let issuer { accounts.append(RejectionBudget.Account("issuer:" + issuer, perMinute: limits.perIssuer)) }
        if let client { accounts.append(RejectionBudget.Account("client:" + client, perMinute: limits.perClient)) }
        guard !accounts.isEmpty else { return .record }
        let instant = now()
        return budget.withLock { $0.charge(accounts, now: instant) }
    }

    /// The `Retry-After` while `client`'s budget is spent, without charging it.
    func spent(client: String?) -> Duration? {
        guard let client else { return nil }
        let instant = now()
        let account = RejectionBudget.Account("client:" + client, perMinute: limits.perClient)
        return budget.withLock { $0.waitBeforeCharging(account, now: instant) }
    }

    /// Whether a refusal from `client` on `route` goes to the log now (once a minute per address
    /// and route, so one route's flood does not hide another's lines); the count is how many
    /// were left out before it.
    func shouldLog(client: String?, route: String) -> Int? {
        let instant = now()
        return logThrottle.withLock { $0.admit(route + "/" + (client ?? "unknown"), now: instant) }
    }
}
