/// BR-9: what an RP named by a verified `id_token_hint` may do with it. A hint is an ID token
/// some issuer gave some RP; any registered issuer can sign one (an app with only a shared
/// secret, too), so naming an RP proves nothing by itself. The browser may end sessions and
/// be sent to that RP's registered page only when the RP is enabled and holds, or held within
/// the expired-hint window, a session of that issuer for that subject (RP-Initiated Logout §2:
/// "has a current session or had a recent session").
public enum HintAudience: Sendable, Equatable {
    case unregistered
    case disabled
    /// Registered and enabled, but no session of the hint's issuer and subject (and `sid`).
    case noSession
    case eligible(postLogoutRedirectURIs: [String])

    /// - Parameters:
    ///   - sessions: the RP's sessions of the hint's subject, ended ones included.
    ///   - window: `tokens.expired_hint_max_age`: how long after a session ended (or expired)
    ///     it still counts as recent.
    public static func of(
        _ rp: RelyingParty?,
        sessions: [Session],
        issuerName: String,
        hint: IdTokenHint,
        now: Timestamp,
        window: Duration
    ) -> HintAudience {
        guard let rp else { return .unregistered }
        guard rp.enabled else { return .disabled }
        let since = now - window
        let held = sessions.contains { session in
            guard session.issuerName == issuerName, session.clientID == rp.clientID, session.sub == hint.sub,
                hint.sid == nil || session.sid == hint.sid
            else { return false }
            let ends = [session.endedAt, session.expiresAt].compactMap { $0 }.min()
            return ends.map { $0 > since } ?? true
        }
        return held ? .eligible(postLogoutRedirectURIs: rp.postLogoutRedirectURIs) : .noSession
    }

    var redirectURIs: [String]? {
        if case .eligible(let uris) = self { return uris }
        return nil
    }

    /// Why an RP cannot be the hint's RP, for the refusal page.
    func refusal(_ clientID: String) -> TokenRejection {
        switch self {
        case .unregistered:
            return TokenRejection("BR-4", "\(quoted(clientID)) is not a registered RP")
        case .disabled:
            return TokenRejection("BR-9", "the RP \(quoted(clientID)) is disabled")
        case .noSession, .eligible:
            return TokenRejection(
                "BR-9",
                "the RP \(quoted(clientID)) holds no recent session of this user at the hint's issuer"
            )
        }
    }
}
