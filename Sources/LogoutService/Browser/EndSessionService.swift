import Logging
import LogoutCore
import LogoutJWT

/// RP-initiated logout (RP-Initiated Logout 1.0): an application sends the browser here with the
/// ID token it received at login; we verify it with its issuer's keys, record one durable logout
/// with source `end-session` (the same fan-out as a back-channel token, so every other RP gets
/// its token), and send the browser back to the application's registered page with its `state`.
struct EndSessionService: EndSessionHandling {
    let store: any IntakeStore
    let registry: any RegistryStore
    let returns: any BrowserLogoutStore
    /// Our `/end-session/callback`, where an upstream IdP sends the browser back.
    let callbackURL: String
    /// Our `issuer`: the `iss` of front-channel URIs for RPs whose tokens come from us.
    let ourIssuer: String
    let directory: IssuerDirectory
    let signatures: SignatureChecker
    let waker: Waker
    let metrics: LogoutMetrics
    /// How long after its `exp` an `id_token_hint` is still accepted (BR-2).
    let maximumExpiredAge: Duration
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// How long the browser may spend at the upstream IdP before our callback forgets it.
    static let returnLifetime: Duration = .seconds(600)

    func endSession(
        _ request: EndSessionRequest,
        language: PageLanguage,
        clientAddress: String?
    ) async
        -> EndSessionOutcome
    {
        switch EndSessionPlanner.screen(request) {
        case .signedOutPage:
            return .signedOut(ended: false)
        case .refused(let why):
            return refuse(why, source: "unknown")
        case .verify(let token):
            let entry: IssuerDirectory.Entry
            let hint: IdTokenHint
            switch await verify(token) {
            case .failure(let outcome, let source):
                if case .refused(let why) = outcome { return refuse(why, source: source) }
                return outcome
            case .success(let verified):
                (entry, hint) = verified
            }
            var redirects: [String: [String]] = [:]
            for clientID in Set(hint.audiences + [request.clientID].compactMap { $0 }) {
                do {
                    if let stored = try await registry.relyingParty(clientID: clientID) {
                        redirects[clientID] = stored.relyingParty.postLogoutRedirectURIs
                    }
                } catch {
                    return unavailable(error)
                }
            }
            switch EndSessionPlanner.decide(request, hint: hint, redirectURIs: { redirects[$0] }) {
            case .refused(let why):
                return refuse(why, source: entry.issuer.name)
            case .logout(let hint, let clientID, let redirect):
                let frames = await frontChannelFrames(hint, entry: entry)
                let recorded = await record(
                    hint,
                    entry: entry,
                    clientID: clientID,
                    token: token,
                    clientAddress,
                    redirect
                )
                switch recorded {
                case .redirect, .signedOut: break
                case .refused, .unavailable, .frontChannel: return recorded
                }
                var next = redirect
                if let endpoint = entry.issuer.endSessionEndpoint {
                    do {
                        next = try await upstream(endpoint, entry: entry, hint: token, returnTo: redirect, language)
                    } catch {
                        return unavailable(error)
                    }
                }
                if !frames.isEmpty { return .frontChannel(frames: frames, next: next) }
                return next.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true)
            }
        }
    }

    private enum Verification {
        case success((IssuerDirectory.Entry, IdTokenHint))
        case failure(EndSessionOutcome, source: String)
    }

    private func verify(_ token: String) async -> Verification {
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(token)
        } catch {
            return .failure(
                .refused(TokenRejection("BR-2", "the id_token_hint is not a signed JWT")),
                source: "unknown"
            )
        }
        guard
            case .found(let entry) = directory.lookup(
                pinnedName: nil,
                unverifiedIssuer: jws.payload["iss"]?.stringValue
            )
        else {
            return .failure(
                .refused(TokenRejection("BR-2", "the id_token_hint's issuer is not registered")),
                source: "unknown"
            )
        }
        let source = entry.issuer.name
        do {
            let header = try IdTokenHintValidator.checkHeader(jws.header, policy: entry.policy)
            switch try await signatures.verify(jws, header: header, entry: entry) {
            case .valid:
                break
            case .retryLater(let why, let retryAfter, _):
                logger.warning("issuer keys unavailable", metadata: ["issuer": "\(source)", "error": "\(why)"])
                return .failure(
                    .unavailable("the identity provider's keys cannot be fetched right now", retryAfter: retryAfter),
                    source: source
                )
            }
            let hint = try IdTokenHintValidator.checkClaims(
                jws.payload,
                policy: entry.policy,
                now: now(),
                maximumExpiredAge: maximumExpiredAge
            )
            return .success((entry, hint))
        } catch {
            let why = error.rule.hasPrefix("BR-") ? error : TokenRejection("BR-2", error.description)
            return .failure(.refused(why), source: source)
        }
    }

    private func record(
        _ hint: IdTokenHint,
        entry: IssuerDirectory.Entry,
        clientID: String,
        token: String,
        _ clientAddress: String?,
        _ redirect: String?
    ) async -> EndSessionOutcome {
        let logout = AcceptedLogout(
            request: LogoutRequest(source: "end-session", issuerName: entry.issuer.name, sub: hint.sub, sid: hint.sid),
            iss: hint.iss,
            jti: nil,
            replay: nil,
            tokenHash: Digests.tokenHash(token),
            clientAddress: clientAddress
        )
        do {
            switch try await store.recordLogout(logout, now: now()) {
            case .accepted(let eventID, let deliveries, _):
                if deliveries > 0 { waker.signal() }
                metrics.logoutReceived(issuer: entry.issuer.name, outcome: .accepted)
                logger.info(
                    "end-session recorded",
                    metadata: [
                        "event.id": "\(eventID)", "issuer": "\(entry.issuer.name)", "rp.client_id": "\(clientID)",
                        "deliveries": "\(deliveries)",
                    ]
                )
            case .duplicate, .replayConflict:
                break
            }
        } catch {
            return unavailable(error)
        }
        return redirect.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true)
    }

    /// BR-7: the front-channel iframes of the sessions this logout ends, read before it ends them.
    /// A failed read costs the iframes, never the logout: back-channel RPs are told regardless.
    private func frontChannelFrames(_ hint: IdTokenHint, entry: IssuerDirectory.Entry) async -> [String] {
        do {
            let rps = try await registry.relyingParties().filter { $0.relyingParty.frontchannelLogoutURI != nil }
            guard !rps.isEmpty else { return [] }
            let sessions = try await registry.sessions(
                SessionQuery(issuer: entry.issuer.name, sub: hint.sub, limit: 1000)
            )
            return FrontChannelPlan.frames(
                sessions: sessions,
                sid: hint.sid,
                relyingParties: Dictionary(rps.map { ($0.relyingParty.clientID, $0.relyingParty) }) { first, _ in first
                },
                ourIssuer: ourIssuer
            )
        } catch {
            logger.warning("cannot read the sessions for front-channel logout", metadata: ["error": "\(error)"])
            return []
        }
    }

    /// BR-6: the session at the upstream IdP ends too, through its own end-session; it sends the
    /// browser to our callback with a single-use `state` that remembers where to go next.
    private func upstream(
        _ endpoint: String,
        entry: IssuerDirectory.Entry,
        hint: String,
        returnTo: String?,
        _ language: PageLanguage
    ) async throws -> String {
        let state = Digests.randomIdentifier(bytes: 32)
        let record = EndSessionReturn(
            stateHash: Digests.tokenHash(state),
            returnTo: returnTo,
            language: language,
            expiresAt: now() + Self.returnLifetime
        )
        try await returns.saveEndSessionReturn(record, now: now())
        return EndSessionPlanner.upstream(
            endpoint: endpoint,
            idTokenHint: hint,
            callback: callbackURL,
            state: state,
            clientID: entry.issuer.clientID
        )
    }

    func callback(state: String?) async -> (EndSessionOutcome, PageLanguage?) {
        let refused = TokenRejection(
            "BR-6",
            "this sign-out link was already used, has expired, or was not issued by us"
        )
        guard let state, !state.isEmpty, state.utf8.count <= 256 else {
            return (refuse(refused, source: "callback"), nil)
        }
        let record: EndSessionReturn?
        do {
            record = try await returns.takeEndSessionReturn(stateHash: Digests.tokenHash(state), now: now())
        } catch {
            return (unavailable(error), nil)
        }
        guard let record else { return (refuse(refused, source: "callback"), nil) }
        return (record.returnTo.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true), record.language)
    }

    private func refuse(_ why: TokenRejection, source: String) -> EndSessionOutcome {
        metrics.requestRejected(rule: why.rule)
        logger.notice(
            "end-session refused",
            metadata: ["issuer": "\(source)", "rule": "\(why.rule)", "reason": "\(why.description)"]
        )
        return .refused(why)
    }

    private func unavailable(_ error: any Error) -> EndSessionOutcome {
        logger.error("cannot record an end-session", metadata: ["error": "\(error)"])
        return .unavailable("the logout cannot be recorded right now", retryAfter: .seconds(5))
    }
}
