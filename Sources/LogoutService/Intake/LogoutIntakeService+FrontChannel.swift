import Logging
import LogoutCore
import LogoutJWT

/// The front-channel bridge (FC-1 to FC-4): an OP that can only log out through the browser
/// loads `/frontchannel-logout/{name}` in its logout page, and the sessions of that `sid` end
/// and fan out as a back-channel logout's would, durably and retried.
///
/// Nothing signs such a request, so it is narrower than a logout token: it ends only live
/// sessions that hold its `sid`, records nothing when none does (else anyone could fill the
/// log, or reach the RPs that follow every subject, with made-up ids), and its refusals are
/// charged to the address alone (a browser's refusals must not spend the issuer's budget,
/// which its signed back-channel tokens share).
extension LogoutIntakeService: FrontChannelIntake {
    /// Repeats are kept apart from the issuer's logout tokens' under a name no slug can take.
    static func frontChannelScope(_ issuerName: String) -> String { "frontchannel/" + issuerName }

    /// An iframe loaded twice (a reload, a second tab) within this ends sessions once; later
    /// the sessions are gone and the live-session check answers.
    static let frontChannelRepeatWindow: Duration = .seconds(600)

    func receive(frontChannel request: InboundFrontChannel) async -> FrontChannelAnswer {
        let receivedAt = now()
        var entry: IssuerDirectory.Entry?
        if case .found(let found) = directory.lookup(pinnedName: request.issuerName, unverifiedIssuer: nil),
            found.issuer.frontchannelIntake
        {
            entry = found
        }
        let ancestors = entry.map { FrontChannelNotice.frameAncestors(of: $0.issuer) } ?? []
        let notice: FrontChannelNotice
        do {
            notice = try FrontChannelNotice.parse(query: request.query)
            try notice.check(against: entry?.issuer)
        } catch {
            return refuse(error, request, entry: entry, ancestors: ancestors, receivedAt)
        }
        guard let entry else { preconditionFailure("check(against:) refuses a missing issuer") }
        let name = entry.issuer.name
        let digest = sidDigest(notice.sid)
        var metadata: Logger.Metadata = ["issuer": "\(name)", "sid_hash": "\(digest.prefix(16))"]

        let live: Bool
        do {
            live = try await !registry.sessions(SessionQuery(issuer: name, sid: notice.sid, limit: 1)).isEmpty
        } catch {
            logger.error("cannot look up a front-channel sid", metadata: metadata.merging(["error": "\(error)"]) { $1 })
            return FrontChannelAnswer(
                .unavailable(reason: "the session registry cannot be read; retry later", retryAfter: .seconds(5)),
                frameAncestors: ancestors
            )
        }
        guard live else {
            // Logged out already, or never known here: the OP hears "logged out" either way, and
            // the address is charged as for a refusal, so guessing ids costs what refusals cost.
            if let wait = charge(client: request) {
                return FrontChannelAnswer(.rateLimited(retryAfter: wait), frameAncestors: ancestors)
            }
            if let left = limiter.shouldLog(client: request.budgetKey, route: "frontchannel") {
                metadata["refusals_not_logged"] = "\(left)"
                logger.info("front-channel logout for a sid no live session holds", metadata: metadata)
            }
            return FrontChannelAnswer(.signedOut(eventID: nil), frameAncestors: ancestors)
        }

        let accepted = AcceptedLogout(
            request: LogoutRequest(source: FrontChannelNotice.source, issuerName: name, sub: nil, sid: notice.sid),
            iss: notice.iss,
            jti: nil,
            replay: ReplayKey(
                issuerName: Self.frontChannelScope(name),
                key: "hmac:" + digest,
                tokenHash: digest,
                expiresAt: receivedAt + Self.frontChannelRepeatWindow,
                logsRepeats: false
            ),
            tokenHash: nil,
            clientAddress: request.clientAddress,
            sessionsRegisteredBy: receivedAt
        )
        guard let recorded = await commit(accepted, source: name, what: "front-channel logout", receivedAt) else {
            return FrontChannelAnswer(
                .unavailable(reason: "the logout could not be recorded durably; retry later", retryAfter: .seconds(5)),
                frameAncestors: ancestors
            )
        }
        switch recorded {
        case .accepted(let eventID, _, _, _):
            return FrontChannelAnswer(.signedOut(eventID: eventID), frameAncestors: ancestors)
        case .duplicate, .replayConflict:
            logger.debug("repeated front-channel logout", metadata: metadata)
            return FrontChannelAnswer(.signedOut(eventID: nil), frameAncestors: ancestors)
        }
    }

    /// The keyed digest a front-channel `sid` is logged and refused under (FC-3): the same on
    /// every replica that shares the secrets key, and useless to whoever reads the log.
    func sidDigest(_ sid: String) -> String { secrets.mac(sid, purpose: "frontchannel sid") }

    private func charge(client request: InboundFrontChannel) -> Duration? {
        guard case .exhausted(let account, let retryAfter) = limiter.charge(client: request.budgetKey, issuer: nil)
        else { return nil }
        metrics.rateLimited(scope: account.hasPrefix("issuer:") ? "issuer" : "client")
        return retryAfter
    }

    private func refuse(
        _ rejection: TokenRejection,
        _ request: InboundFrontChannel,
        entry: IssuerDirectory.Entry?,
        ancestors: [String],
        _ receivedAt: Timestamp
    ) -> FrontChannelAnswer {
        metrics.requestRejected(rule: rejection.rule)
        if let wait = charge(client: request) {
            return FrontChannelAnswer(.rateLimited(retryAfter: wait), frameAncestors: ancestors)
        }
        let source = entry?.issuer.name ?? "unknown"
        metrics.logoutReceived(issuer: source, outcome: .rejected)
        // The query is read again only for what the log may show: the sid as its digest.
        let form = FormBody(Array((request.query ?? "").utf8))
        let sid = form?.values(named: "sid").first.map { "hmac:" + sidDigest($0).prefix(16) }
        let iss = form?.values(named: "iss").first
        if let left = limiter.shouldLog(client: request.budgetKey, route: "frontchannel") {
            logger.notice(
                "front-channel logout refused",
                metadata: [
                    "issuer": "\(source)", "rule": "\(rejection.rule)",
                    "reason": "\(SafeText.printable(rejection.description, limit: 200))",
                    "sid_hash": "\(sid ?? "-")", "refusals_not_logged": "\(left)",
                ]
            )
        }
        var logged = RejectedLogout(
            source: source,
            iss: iss,
            sub: nil,
            sid: sid,
            jti: nil,
            tokenHash: nil,
            reason: "\(rejection.rule): \(rejection.description)",
            clientAddress: request.clientAddress
        )
        logged.outcome = .rejected
        if !store.enqueueRejection(logged, now: receivedAt) { metrics.rejectionsNotRecorded(1) }
        return FrontChannelAnswer(.rejected(rejection), frameAncestors: ancestors)
    }
}
