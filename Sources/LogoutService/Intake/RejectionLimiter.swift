import LogoutCore
import Synchronization

/// The rejection budgets of the public listener (SEC-4), shared by every request.
final class RejectionLimiter: Sendable {
    struct Limits: Sendable, Equatable {
        /// Rejections one client address (an IPv6 client's /64) may cause per minute.
        var perClient: Int
        /// Rejections attributed to one issuer (or to `unknown`) per minute, from all clients.
        var perIssuer: Int
    }

    private let budget = Mutex(RejectionBudget())
    private let limits: Limits
    private let now: @Sendable () -> ContinuousClock.Instant

    init(limits: Limits, now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.limits = limits
        self.now = now
    }

    func charge(client: String?, issuer: String) -> RejectionBudget.Verdict {
        var accounts = [RejectionBudget.Account("issuer:" + issuer, perMinute: limits.perIssuer)]
        if let client { accounts.append(RejectionBudget.Account("client:" + client, perMinute: limits.perClient)) }
        let instant = now()
        return budget.withLock { $0.charge(accounts, now: instant) }
    }
}
