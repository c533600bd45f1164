import Logging
import LogoutCore
import LogoutJWT

/// The front-channel bridge (FC-1 to FC-4): an OP that can only log out through the browser
/// loads `/frontchannel-logout/{name}` in its logout page, and the sessions of that `sid` end
/// and fan out as a back-channel logout's would, durably and retried.
///
/// Nothing signs such a request, so it is narrower than a logout token: it ends only live
/// sessions that hold its `sid` and records nothing when none does (else anyone could fill the
/// log, or reach the RPs that follow every subject, with made-up ids), decided inside the
/// recording transaction. So a reload records nothing, and an OP that gives a sid again (one
/// whose sid is the user's login) ends the new session too: no replay record stands in the way.
/// An address past its refusal budget is turned away before any lookup, so guessing costs what
/// refusals cost; refusals are charged to the address alone (a browser's refusals must not
/// spend the issuer's budget, which its signed back-channel tokens share) and logged, never
/// written (an anonymous page could make every visitor write rows).
extension LogoutIntakeService: FrontChannelIntake {
    func receive(frontChannel request: InboundFrontChannel) async -> FrontChannelAnswer {
        await tracing.span("front-channel intake") { span in
            span.set("logoutd.issuer", SafeText.printable(request.issuerName, limit: 64))
            let answer = await validateAndRecord(request)
            span.describe(answer.outcome)
            return answer
        }
    }

    private func validateAndRecord(_ request: InboundFrontChannel) async -> FrontChannelAnswer {
        let receivedAt = now()
        var entry: IssuerDirectory.Entry?
        if case .found(let found) = directory.lookup(pinnedName: request.issuerName, unverifiedIssuer: nil),
            found.issuer.frontchannelIntake
        {
            entry = found
        }
        let ancestors = entry.map { FrontChannelNotice.frameAncestors(of: $0.issuer) } ?? []
        if let wait = limiter.spent(client: request.budgetKey) {
            metrics.rateLimited(scope: "client")
            return FrontChannelAnswer(.rateLimited(retryAfter: wait), frameAncestors: ancestors)
        }
        let notice: FrontChannelNotice
        do {
            notice = try FrontChannelNotice.parse(query: request.query)
            try notice.check(against: entry?.issuer)
        } catch {
            return refuse(error, request, entry: entry, ancestors: ancestors)
        }
        guard let entry else { preconditionFailure("check(against:) refuses a missing issuer") }
        let name = entry.issuer.name
        // The digest is for log lines only: computed when one is written, not on every request.
        func metadata() -> Logger.Metadata { ["issuer": "\(name)", "sid_hash": "\(sidDigest(notice.sid).prefix(16))"] }

        let live: Bool
        do {
            live = try await !registry.sessions(SessionQuery(issuer: name, sid: notice.sid, limit: 1)).isEmpty
        } catch {
            logger.error(
                "cannot look up a front-channel sid",
                metadata: metadata().merging(["error": "\(error)"]) { $1 }
            )
            return FrontChannelAnswer(
                .unavailable(reason: "the session registry cannot be read; retry later", retryAfter: .seconds(5)),
                frameAncestors: ancestors
            )
        }
        // Logged out already, or never known here: the OP hears "logged out" either way, and
        // the address is charged as for a refusal.
        func nothingToEnd() -> FrontChannelAnswer {
            if let wait = charge(client: request) {
                return FrontChannelAnswer(.rateLimited(retryAfter: wait), frameAncestors: ancestors)
            }
            if let left = limiter.shouldLog(client: request.budgetKey, route: "frontchannel") {
                logger.info(
                    "front-channel logout for a sid no live session holds",
                    metadata: metadata().merging(["refusals_not_logged": "\(left)"]) { $1 }
                )
            }
            return FrontChannelAnswer(.signedOut(eventID: nil), frameAncestors: ancestors)
        }
        // A read first, so a miss costs no write transaction; the transaction decides.
        guard live else { return nothingToEnd() }

        var accepted = AcceptedLogout(
            request: LogoutRequest(source: FrontChannelNotice.source, issuerName: name, sub: nil, sid: notice.sid),
            iss: notice.iss,
            jti: nil,
            replay: nil,
            tokenHash: nil,
            clientAddress: request.clientAddress,
            sessionsRegisteredBy: receivedAt
        )
        accepted.requiresLiveSession = true
        guard let recorded = await commit(accepted, source: name, what: "front-channel logout", receivedAt) else {
            return FrontChannelAnswer(
                .unavailable(reason: "the logout could not be recorded durably; retry later", retryAfter: .seconds(5)),
                frameAncestors: ancestors
            )
        }
        switch recorded {
        case .accepted(let eventID, _, _, _):
            return FrontChannelAnswer(.signedOut(eventID: eventID), frameAncestors: ancestors)
        case .nothingToEnd, .duplicate, .replayConflict:
            return nothingToEnd()
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
        ancestors: [String]
    ) -> FrontChannelAnswer {
        metrics.requestRejected(rule: rejection.rule)
        if let wait = charge(client: request) {
            return FrontChannelAnswer(.rateLimited(retryAfter: wait), frameAncestors: ancestors)
        }
        let source = entry?.issuer.name ?? "unknown"
        metrics.logoutReceived(issuer: source, outcome: .rejected)
        if let left = limiter.shouldLog(client: request.budgetKey, route: "frontchannel") {
            // Read again only for a line that is written: the sid, as its digest.
            let sid = FormBody(Array((request.query ?? "").utf8))?.values(named: "sid").first.map {
                String(sidDigest($0).prefix(16))
            }
            logger.notice(
                "front-channel logout refused",
                metadata: [
                    "issuer": "\(source)", "rule": "\(rejection.rule)",
                    "reason": "\(SafeText.printable(rejection.description, limit: 200))",
                    "sid_hash": "\(sid ?? "-")", "refusals_not_logged": "\(left)",
                ]
            )
        }
        return FrontChannelAnswer(.rejected(rejection), frameAncestors: ancestors)
    }
}
