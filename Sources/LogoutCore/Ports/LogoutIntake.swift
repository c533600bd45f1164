/// A logout token as it arrived at the public listener.
public struct InboundLogout: Sendable {
    public var token: String
    /// The issuer name from `/backchannel-logout/{name}`, when the route pins one. Unverified
    /// input: it selects a registration, and is never stored as sent.
    public var pinnedIssuer: String?
    public var clientAddress: String?
    /// Who is charged for a rejection (SEC-4): the client address, an IPv6 client's /64.
    public var budgetKey: String?

    public init(token: String, pinnedIssuer: String? = nil, clientAddress: String? = nil, budgetKey: String? = nil) {
        self.token = token
        self.pinnedIssuer = pinnedIssuer
        self.clientAddress = clientAddress
        self.budgetKey = budgetKey ?? clientAddress
    }
}

/// The answer the notifier gets (rulebook IN-17 to IN-20, SEC-4).
public enum IntakeResult: Sendable, Equatable {
    /// Durably recorded, with its deliveries.
    case accepted(eventID: Int64, deliveries: Int)
    /// An identical retransmission of a token already accepted.
    case duplicate
    case rejected(TokenRejection)
    /// Rejected, past the client's or the issuer's budget of rejections: `429`, not recorded.
    case rateLimited(retryAfter: Duration)
    /// We cannot take it now (keys being rotated, database busy): `503`, the notifier retries.
    case unavailable(reason: String, retryAfter: Duration)
}

/// Where the public listener hands a logout token: implemented by the service layer.
public protocol LogoutIntake: Sendable {
    func receive(_ logout: InboundLogout) async -> IntakeResult
}
