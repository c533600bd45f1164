/// The browser logout use case, as the public listener's pages see it.
public protocol EndSessionHandling: Sendable {
    func endSession(_ request: EndSessionRequest, clientAddress: String?) async -> EndSessionOutcome
}

public enum EndSessionOutcome: Sendable, Equatable {
    /// The signed-out page; `ended` tells whether a logout was recorded.
    case signedOut(ended: Bool)
    /// `303` to the RP's registered URI (with its `state`), after the logout was recorded.
    case redirect(String)
    /// An error page, status 400, no redirect, nothing fanned out.
    case refused(TokenRejection)
    /// An error page, status 503: the issuer's keys or our database are unavailable; trying
    /// again later may work.
    case unavailable(String, retryAfter: Duration)
}
