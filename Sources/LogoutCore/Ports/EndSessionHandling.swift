/// The browser logout use case, as the public listener's pages see it.
public protocol EndSessionHandling: Sendable {
    /// - Parameter language: the pages' language, kept for the page after the upstream IdP.
    func endSession(
        _ request: EndSessionRequest,
        language: PageLanguage,
        clientAddress: String?
    ) async
        -> EndSessionOutcome
    /// The upstream IdP sent the browser back with our `state` (BR-6); the answer's language is
    /// the one chosen at the start.
    func callback(state: String?) async -> (EndSessionOutcome, PageLanguage?)
}

public enum EndSessionOutcome: Sendable, Equatable {
    /// The signed-out page; `ended` tells whether a logout was recorded.
    case signedOut(ended: Bool)
    /// `303` to the RP's registered URI (with its `state`), after the logout was recorded.
    case redirect(String)
    /// The logout was recorded; the interstitial page loads each RP's front-channel logout URI
    /// in a hidden iframe (BR-7), then continues by itself to `next` (or shows it is done).
    case frontChannel(frames: [String], next: String?)
    /// An error page, status 400, no redirect, nothing fanned out.
    case refused(TokenRejection)
    /// An error page, status 503: the issuer's keys or our database are unavailable; trying
    /// again later may work.
    case unavailable(String, retryAfter: Duration)
}
