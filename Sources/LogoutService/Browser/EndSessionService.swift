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
    let wakers: QueueWakers
    let metrics: LogoutMetrics
    /// How long after its `exp` an `id_token_hint` is still accepted (BR-2), and how recent a
    /// session its RP held must be (BR-9).
    let maximumExpiredAge: Duration
    /// The daemon's rejection budgets (SEC-4): refusals here are charged to the address.
    let limiter: RejectionLimiter
    /// Keys the callback's cookie: only we can compute it from a `state`.
    let secrets: SecretBox
    /// Our issuer is `https`: the callback's cookie is `__Host-` and `Secure`.
    let secureCookies: Bool
    /// Development: `post_logout_redirect_uris` may be plain http to a local address (BR-9).
    let allowPrivateNetworks: Bool
    /// The request's span: its context is kept with the event it records (TRACE-1).
    var tracing = LogoutTracing.off
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
            let verified: VerifiedHint
            switch await verify(token, browser) {
            case .failure(let outcome): return EndSessionAnswer(outcome)
            case .success(let hint): verified = hint
            }
            let audiences: [String: HintAudience]
            let replayed: Bool
            do {
                audiences = try await self.audiences(request, verified)
                replayed = try await store.replayRecorded(verified.replay, now: now())
            } catch {
                return EndSessionAnswer(unavailable(error))
            }
            switch EndSessionPlanner.decide(request, hint: verified.hint, audience: { audiences[$0] ?? .unregistered })
            {
            case .refused(let why):
                let detail = audiences.sorted { $0.key < $1.key }.map { $0.value.reason($0.key) }
                return EndSessionAnswer(refuse(why, source: verified.entry.issuer.name, browser, detail: detail))
            case .logout(_, let clientID, let redirect):
                return await logOut(
                    verified,
                    clientID: clientID,
                    redirect: redirect,
                    replayed: replayed,
                    browser,
                    language
                )
            }
        }
    }

    /// Records the logout (unless this hint was used before), then sends the browser on: through
    /// the RPs' front-channel iframes and the upstream IdP's own end-session when there are any.
    private func logOut(
        _ verified: VerifiedHint,
        clientID: String,
        redirect: String?,
        replayed: Bool,
        _ browser: BrowserRequest,
        _ language: PageLanguage
    ) async -> EndSessionAnswer {
        let entry = verified.entry
        var frames: [String] = []
        if !replayed {
            frames = await frontChannelFrames(verified.hint, entry: entry)
            if let failure = await record(verified, clientID: clientID, browser.clientAddress) {
                return EndSessionAnswer(failure)
            }
        }
        var next = redirect
        var binding: BrowserBinding?
        // A repeated hint (a double click cancels the first navigation) goes upstream again, so
        // the IdP's session ends whichever request the browser follows; past the address's
        // budget it goes straight on, and writes nothing (SEC-4).
        if let endpoint = entry.issuer.endSessionEndpoint, !replayed || chargeRepeat(browser) {
            do {
                (next, binding) = try await upstream(
                    endpoint,
                    entry: entry,
                    hint: verified.token,
                    returnTo: redirect,
                    language
                )
            } catch {
                return EndSessionAnswer(unavailable(error))
            }
        }
        if !frames.isEmpty { return EndSessionAnswer(.frontChannel(frames: frames, next: next), binding: binding) }
        return EndSessionAnswer(next.map(EndSessionOutcome.redirect) ?? .signedOut(ended: true), binding: binding)
    }

    /// `nil` once the logout is durable (or was already: a replay records nothing, BR-9).
    private func record(
        _ verified: VerifiedHint,
        clientID: String,
        _ clientAddress: String?
    ) async
        -> EndSessionOutcome?
    {
        let (hint, entry) = (verified.hint, verified.entry)
        var logout = AcceptedLogout(
            request: LogoutRequest(source: "end-session", issuerName: entry.issuer.name, sub: hint.sub, sid: hint.sid),
            iss: hint.iss,
            jti: nil,
            replay: verified.replay,
            tokenHash: Digests.tokenHash(verified.token),
            clientAddress: clientAddress
        )
        logout.traceContext = tracing.current()
        do {
            switch try await store.recordLogout(logout, now: now()) {
            case .accepted(let eventID, let deliveries, _, let revocations):
                wakers.queued(deliveries: deliveries, revocations: revocations)
                metrics.logoutReceived(issuer: entry.issuer.name, outcome: .accepted)
                logger.info(
                    "end-session recorded",
                    metadata: [
                        "event.id": "\(eventID)", "issuer": "\(entry.issuer.name)", "rp.client_id": "\(clientID)",
                        "deliveries": "\(deliveries)",
                    ]
                )
            case .duplicate, .replayConflict, .nothingToEnd:
                // Two clicks raced past the replay read: the second commits nothing.
                logger.debug("end-session repeated: nothing recorded", metadata: ["issuer": "\(entry.issuer.name)"])
            }
            return nil
        } catch {
            return unavailable(error)
        }
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
}
