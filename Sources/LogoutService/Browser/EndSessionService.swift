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
    /// How long after its `exp` an `id_token_hint` is still accepted (BR-2), and how recent a
    /// session its RP held must be (BR-9).
    let maximumExpiredAge: Duration
    /// The daemon's rejection budgets (SEC-4): refusals here are charged to the address.
    let limiter: RejectionLimiter
    /// Our issuer is `https`: the callback's cookie is `__Host-` and `Secure`.
    let secureCookies: Bool
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// How long the browser may spend at the upstream IdP before our callback forgets it.
    static let returnLifetime: Duration = .seconds(600)

    func endSession(
        _ request: EndSessionRequest,
        language: PageLanguage,
        browser: BrowserRequest
    ) async
        -> EndSessionAnswer
    {
        switch EndSessionPlanner.screen(request) {
        case .signedOutPage:
            return EndSessionAnswer(.signedOut(ended: false))
        case .refused(let why):
            return EndSessionAnswer(refuse(why, source: "unknown", browser))
        case .verify(let token):
            let entry: IssuerDirectory.Entry
            let hint: IdTokenHint
            let signedHash: String
            switch await verify(token) {
            case .failure(let outcome, let source):
                if case .refused(let why) = outcome { return EndSessionAnswer(refuse(why, source: source, browser)) }
                return EndSessionAnswer(outcome)
            case .success(let verified):
                (entry, hint, signedHash) = verified
            }
            var audiences: [String: HintAudience] = [:]
            for clientID in Set(hint.audiences + [request.clientID].compactMap { $0 }) {
                do {
                    audiences[clientID] = try await audience(clientID, hint: hint, entry: entry)
                } catch {
                    return EndSessionAnswer(unavailable(error))
                }
            }
            switch EndSessionPlanner.decide(request, hint: hint, audience: { audiences[$0] ?? .unregistered }) {
            case .refused(let why):
                return EndSessionAnswer(refuse(why, source: entry.issuer.name, browser))
            case .logout(let hint, let clientID, let redirect):
                let frames = await frontChannelFrames(hint, entry: entry)
                let recorded = await record(
                    hint,
                    entry: entry,
                    clientID: clientID,
                    token: token,
                    signedHash: signedHash,
                    browser.clientAddress,
                    redirect
                )
                switch recorded {
                case .redirect, .signedOut: break
                case .refused, .rateLimited, .unavailable, .frontChannel: return EndSessionAnswer(recorded)
                }
                var next = redirect
                var binding: BrowserBinding?
                if let endpoint = entry.issuer.endSessionEndpoint {
                    do {
                        (next, binding) = try await upstream(
                            endpoint,
                            entry: entry,
                            hint: token,
                            returnTo: redirect,
                            language
                        )
                    } catch {
                        return EndSessionAnswer(unavailable(error))
                    }
                }
                if !frames.isEmpty {
                    return EndSessionAnswer(.frontChannel(frames: frames, next: next), binding: binding)
                }
                return EndSessionAnswer(
                    next.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true),
                    binding: binding
                )
            }
        }
    }

    /// BR-9: the RP as the registry knows it, and whether it holds (or held within the
    /// expired-hint window) a session of this issuer's subject.
    private func audience(
        _ clientID: String,
        hint: IdTokenHint,
        entry: IssuerDirectory.Entry
    ) async throws
        -> HintAudience
    {
        guard let rp = try await registry.relyingParty(clientID: clientID)?.relyingParty else { return .unregistered }
        guard rp.enabled else { return .disabled }
        let sessions = try await registry.sessions(
            SessionQuery(
                issuer: entry.issuer.name,
                sub: hint.sub,
                clientID: clientID,
                includeEnded: true,
                limit: 1000
            )
        )
        return HintAudience.of(
            rp,
            sessions: sessions,
            issuerName: entry.issuer.name,
            hint: hint,
            now: now(),
            window: maximumExpiredAge
        )
    }

    private enum Verification {
        /// The hint, its issuer, and the hash of its signing input (its replay key).
        case success((IssuerDirectory.Entry, IdTokenHint, String))
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
                logger.warning("issuer keys unavailable", metadata: ["issuer": "\(source)", "error": "\(why)"])
                return .failure(
                    .unavailable("the identity provider's keys cannot be fetched right now", retryAfter: retryAfter),
                    source: source
                )
            }
            return .success((entry, hint, Digests.signingInputHash(jws)))
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
        signedHash: String,
        _ clientAddress: String?,
        _ redirect: String?
    ) async -> EndSessionOutcome {
        // BR-9: a hint ends sessions once. Its replay record lives as long as the hint could
        // be accepted; a replay records nothing and the browser gets the same outcome.
        let acceptedUntil = (hint.expiresAt ?? now()) + maximumExpiredAge + entry.policy.clockSkew
        let logout = AcceptedLogout(
            request: LogoutRequest(source: "end-session", issuerName: entry.issuer.name, sub: hint.sub, sid: hint.sid),
            iss: hint.iss,
            jti: nil,
            replay: ReplayKey(
                issuerName: entry.issuer.name,
                key: "id_token_hint:" + signedHash,
                tokenHash: signedHash,
                expiresAt: max(acceptedUntil, now()),
                logsRepeats: false
            ),
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
                logger.debug("end-session repeated: nothing recorded", metadata: ["issuer": "\(entry.issuer.name)"])
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
    /// browser to our callback with a single-use `state` that remembers where to go next, and
    /// that only this browser (its cookie) can spend.
    private func upstream(
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

    /// The cookie of one `state`: its name and value are hashes of the state under two labels,
    /// so several sign-outs in one browser do not overwrite each other and neither value is
    /// the database's key.
    func binding(for state: String) -> BrowserBinding {
        BrowserBinding(
            name: (secureCookies ? "__Host-" : "") + "logoutd_es_" + Digests.tokenHash("name:" + state).prefix(12),
            value: Digests.tokenHash("browser:" + state),
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
                // recorded either way; this browser sees the page, and goes nowhere.
                logger.notice("end-session callback without its browser's cookie: no redirect")
                return (EndSessionAnswer(.signedOut(ended: true)), found.language)
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

    func refuse(_ why: TokenRejection, browser: BrowserRequest) -> EndSessionOutcome {
        refuse(why, source: "unknown", browser)
    }

    /// A refusal is charged to the address (SEC-4): past its budget the answer is `429` and
    /// nothing is logged; within it, one line a minute per address at most.
    private func refuse(_ why: TokenRejection, source: String, _ browser: BrowserRequest) -> EndSessionOutcome {
        metrics.requestRejected(rule: why.rule)
        if case .exhausted(_, let retryAfter) = limiter.charge(client: browser.budgetKey, issuer: nil) {
            metrics.rateLimited(scope: "client")
            return .rateLimited(retryAfter: retryAfter)
        }
        if let suppressed = limiter.shouldLog(client: browser.budgetKey) {
            logger.notice(
                "end-session refused",
                metadata: [
                    "issuer": "\(source)", "rule": "\(why.rule)",
                    "reason": "\(SafeText.printable(why.description, limit: 200))",
                    "client": "\(browser.clientAddress ?? "unknown")", "refusals_not_logged": "\(suppressed)",
                ]
            )
        }
        return .refused(why)
    }

    private func unavailable(_ error: any Error) -> EndSessionOutcome {
        logger.error("cannot record an end-session", metadata: ["error": "\(error)"])
        return .unavailable("the logout cannot be recorded right now", retryAfter: .seconds(5))
    }
}
