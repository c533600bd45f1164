/// BR-9: what an RP named by a verified `id_token_hint` may do with it. A hint is an ID token
/// some issuer gave some RP; any registered issuer can sign one (an app with only a shared
/// secret, too), so naming an RP proves nothing by itself. The browser may end sessions and
/// be sent to that RP's registered page only when the RP is enabled and holds, or held within
/// the expired-hint window, a session of that issuer for that subject (RP-Initiated Logout §2:
/// "has a current session or had a recent session"). An RP that follows every subject of the
/// hint's issuer (`subjects: all`, RES-4) holds no session rows and hears of every logout of that
/// issuer: it is eligible as such.
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
        if rp.subjects == .all && rp.issuers.contains(issuerName) {
            return .eligible(postLogoutRedirectURIs: rp.postLogoutRedirectURIs)
        }
        let since = now - window
        let held = sessions.contains { session in
            // A session registered without a `sid` is the subject's whatever upstream session the
            // hint names: its sid is unknown, not another one.
            guard session.issuerName == issuerName, session.clientID == rp.clientID, session.sub == hint.sub,
                hint.sid == nil || session.sid == nil || session.sid == hint.sid
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

    /// Why an RP cannot be the hint's RP, for the log. The page says less (`refusal`): any
    /// issuer that can sign a hint must not learn from it which client ids exist, are disabled,
    /// or hold whose sessions.
    public func reason(_ clientID: String) -> String {
        switch self {
        case .unregistered: return "\(quoted(clientID)) is not a registered RP"
        case .disabled: return "the RP \(quoted(clientID)) is disabled"
        case .noSession, .eligible:
            return "the RP \(quoted(clientID)) holds no recent session of this user at the hint's issuer"
        }
    }

    static let refusal = TokenRejection(
        "BR-9",
        "the id_token_hint names no enabled RP that holds a recent session of this user at its issuer"
    )
}
