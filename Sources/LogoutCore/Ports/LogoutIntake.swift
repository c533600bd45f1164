/// A logout token as it arrived at the public listener.
public struct InboundLogout: Sendable {
    public var token: String
    /// The issuer name from `/backchannel-logout/{name}`, when the route pins one.
    public var pinnedIssuer: String?
    public var clientAddress: String?

    public init(token: String, pinnedIssuer: String? = nil, clientAddress: String? = nil) {
        self.token = token
        self.pinnedIssuer = pinnedIssuer
        self.clientAddress = clientAddress
    }
}

/// The answer the notifier gets (rulebook IN-17 to IN-20).
public enum IntakeResult: Sendable, Equatable {
    /// Durably recorded, with its deliveries.
    case accepted(eventID: Int64, deliveries: Int)
    /// An identical retransmission of a token already accepted.
    case duplicate
    case rejected(TokenRejection)
    /// We could not record it now; the notifier should try again.
    case unavailable(reason: String)
}

/// Where the public listener hands a logout token: implemented by the service layer.
public protocol LogoutIntake: Sendable {
    func receive(_ logout: InboundLogout) async -> IntakeResult
}
