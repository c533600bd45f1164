import LogoutCore
import LogoutJWT

/// BR-6: the detour through the upstream IdP's own end-session, and the way back through our
/// callback, which only the browser that left may take.
extension EndSessionService {
    /// The session at the upstream IdP ends too, through its own end-session; it sends the
    /// browser to our callback with a single-use `state` that remembers where to go next, and
    /// that only this browser (its cookie) can spend.
    func upstream(
        _ endpoint: String,
        entry: IssuerDirectory.Entry,
        hint: String,
        returnTo: String?,
        _ language: PageLanguage
    ) async throws -> (String, BrowserBinding) {
        let state = Digests.randomIdentifier(bytes: 32)
        let record = EndSessionReturn(
            stateHash: Digests.tokenHash(state),
            returnTo: returnTo,
            language: language,
            expiresAt: now() + Self.returnLifetime
        )
        try await returns.saveEndSessionReturn(record, now: now())
        let next = EndSessionPlanner.upstream(
            endpoint: endpoint,
            idTokenHint: hint,
            callback: callbackURL,
            state: state,
            clientID: entry.issuer.clientID
        )
        return (next, binding(for: state))
    }

    /// The cookie of one `state`. Its value is a MAC of the state under our secrets key: whoever
    /// holds the callback link (it passes through the IdP, logs, a mail) cannot compute it. Its
    /// name is a plain hash, so several sign-outs in one browser do not overwrite each other.
    func binding(for state: String) -> BrowserBinding {
        BrowserBinding(
            name: (secureCookies ? "__Host-" : "") + "logoutd_es_" + Digests.tokenHash("name:" + state).prefix(12),
            value: secrets.mac(state, purpose: "end-session browser binding"),
            secure: secureCookies,
            maxAge: Self.returnLifetime
        )
    }

    func callback(query: String?, browser: BrowserRequest) async -> (EndSessionAnswer, PageLanguage?) {
        let refused = TokenRejection(
            "BR-6",
            "this sign-out link was already used, has expired, or was not issued by us"
        )
        let state: String
        do {
            state = try EndSessionCallbackQuery.parse(query)
        } catch {
            return (EndSessionAnswer(refuse(error, source: "callback", browser)), nil)
        }
        let stateHash = Digests.tokenHash(state)
        let binding = binding(for: state)
        let bound = browser.cookie(named: binding.name).map { Digests.constantTimeEquals($0, binding.value) } ?? false
        let record: EndSessionReturn?
        do {
            // SEC-4: a state we never issued costs a read, never a write; only the browser that
            // started the flow spends its record.
            guard let found = try await returns.findEndSessionReturn(stateHash: stateHash, now: now()) else {
                return (EndSessionAnswer(refuse(refused, source: "callback", browser)), nil)
            }
            guard bound else {
                // Another browser followed the link (or the cookie was lost): the logout is
                // recorded either way; this browser sees the page, and goes nowhere. It is a
                // refusal of the redirect, charged like one.
                let why = TokenRejection("BR-6", "the callback came without the cookie of the browser that left")
                let outcome = refuse(why, source: "callback", browser, page: .signedOut(ended: true))
                return (EndSessionAnswer(outcome), found.language)
            }
            record = try await returns.takeEndSessionReturn(stateHash: stateHash, now: now())
        } catch {
            return (EndSessionAnswer(unavailable(error)), nil)
        }
        guard let record else { return (EndSessionAnswer(refuse(refused, source: "callback", browser)), nil) }
        return (
            EndSessionAnswer(
                record.returnTo.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true),
                spent: binding
            ),
            record.language
        )
    }
}
