import LogoutCore
import LogoutJWT

/// The `id_token_hint`: verified with its issuer's keys (BR-2), and weighed against the registry
/// (BR-9).
extension EndSessionService {
    struct VerifiedHint: Sendable {
        let token: String
        let entry: IssuerDirectory.Entry
        let hint: IdTokenHint
        /// BR-9: a hint ends sessions once. Keyed by its signing input's hash, under a name no
        /// issuer slug can take (so no logout token's `jti` can collide), kept as long as the
        /// hint could be accepted.
        let replay: ReplayKey
    }

    enum Verification {
        case success(VerifiedHint)
        case failure(EndSessionOutcome)
    }

    func verify(_ token: String, _ browser: BrowserRequest) async -> Verification {
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(token)
        } catch {
            let why = TokenRejection("BR-2", "the id_token_hint is not a signed JWT")
            return .failure(refuse(why, source: "unknown", browser))
        }
        guard
            case .found(let entry) = directory.lookup(
                pinnedName: nil,
                unverifiedIssuer: jws.payload["iss"]?.stringValue
            )
        else {
            let why = TokenRejection("BR-2", "the id_token_hint's issuer is not registered")
            return .failure(refuse(why, source: "unknown", browser))
        }
        let source = entry.issuer.name
        do {
            let header = try IdTokenHintValidator.checkHeader(jws.header, policy: entry.policy)
            // The claims first: a hint that cannot be accepted whatever its signature costs no
            // signature check (SEC-4). Nothing is acted on before the signature is.
            let hint = try IdTokenHintValidator.checkClaims(
                jws.payload,
                policy: entry.policy,
                now: now(),
                maximumExpiredAge: maximumExpiredAge
            )
            switch try await signatures.verify(jws, header: header, entry: entry) {
            case .valid:
                break
            case .retryLater(let why, let retryAfter, _):
                return .failure(deferred(why, retryAfter: retryAfter, source: source, browser))
            }
            let signedHash = Digests.signingInputHash(jws)
            let acceptedUntil = (hint.expiresAt ?? now()) + maximumExpiredAge + entry.policy.clockSkew
            let replay = ReplayKey(
                issuerName: "id_token_hint/" + source,
                key: signedHash,
                tokenHash: signedHash,
                expiresAt: max(acceptedUntil, now()),
                logsRepeats: false
            )
            return .success(VerifiedHint(token: token, entry: entry, hint: hint, replay: replay))
        } catch {
            let why = error.rule.hasPrefix("BR-") ? error : TokenRejection("BR-2", error.description)
            return .failure(refuse(why, source: source, browser))
        }
    }

    /// What each RP the request names may do with the hint (BR-9).
    func audiences(_ request: EndSessionRequest, _ verified: VerifiedHint) async throws -> [String: HintAudience] {
        var audiences: [String: HintAudience] = [:]
        for clientID in Set(verified.hint.audiences + [request.clientID].compactMap { $0 }) {
            audiences[clientID] = try await audience(clientID, verified)
        }
        return audiences
    }

    /// The RP as the registry knows it, and whether it holds (or held recently) a session of
    /// this issuer's subject. Its redirect URIs are held to today's rule, whatever was accepted
    /// when they were registered.
    private func audience(_ clientID: String, _ verified: VerifiedHint) async throws -> HintAudience {
        guard var rp = try await registry.relyingParty(clientID: clientID)?.relyingParty else { return .unregistered }
        guard rp.enabled else { return .disabled }
        rp.postLogoutRedirectURIs = rp.postLogoutRedirectURIs.filter {
            RegistrationRules.isBrowserURL($0, allowPrivateNetworks: allowPrivateNetworks)
        }
        let sessions = try await registry.sessions(
            SessionQuery(
                issuer: verified.entry.issuer.name,
                sub: verified.hint.sub,
                clientID: clientID,
                includeEnded: true,
                limit: 1000
            )
        )
        // Recent means within the expired-hint window, and never less than the time a browser
        // may take to come back: a double click after the first ended the session is the same
        // request (BR-9), even with `tokens.expired_hint_max_age: 0s`.
        return HintAudience.of(
            rp,
            sessions: sessions,
            issuerName: verified.entry.issuer.name,
            hint: verified.hint,
            now: now(),
            window: max(maximumExpiredAge, Self.returnLifetime)
        )
    }
}
