import LogoutCore

/// The admin sign-in form's share of the address's rejection budget (SEC-4): a wrong token is a
/// refusal like any other, and once the budget is spent the form answers `429` to everyone at
/// that address until it refills.
public struct SignInBudget: Sendable {
    /// The `Retry-After` while the address's budget is spent, without charging it.
    public var spent: @Sendable (BrowserRequest) -> Duration?
    /// Charges one failed sign-in; the `Retry-After` when that spent the budget.
    public var charge: @Sendable (BrowserRequest) -> Duration?

    public init(
        spent: @escaping @Sendable (BrowserRequest) -> Duration?,
        charge: @escaping @Sendable (BrowserRequest) -> Duration?
    ) {
        self.spent = spent
        self.charge = charge
    }

    /// For tests of the pages alone.
    public static let unlimited = SignInBudget(spent: { _ in nil }, charge: { _ in nil })
}
