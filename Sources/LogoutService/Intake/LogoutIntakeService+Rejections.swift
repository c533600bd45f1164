import Logging
import LogoutCore
import LogoutJWT

/// The intake's refusals: charged to the budgets (SEC-4), logged with values made safe (SEC-6),
/// and queued for the event log without delaying any acknowledgement.
extension LogoutIntakeService {
    /// An unknown `kid` inside the refresh cool-down: the IdP has probably just rotated its key,
    /// so it is asked to come back (`503`) rather than told the token is bad (`400`).
    func deferKeyRotation(
        _ why: String,
        retryAfter: Duration,
        source: String,
        jws: CompactJWS,
        _ logout: InboundLogout,
        _ receivedAt: Timestamp
    ) -> IntakeResult {
        metrics.unknownKeyDeferred(issuer: source)
        let rejection = TokenRejection("IN-4", why)
        if let wait = charge(source: source, logout) { return .rateLimited(retryAfter: wait) }
        metrics.logoutReceived(issuer: source, outcome: .deferred)
        logger.notice(
            "logout deferred: unknown key id inside the refresh cool-down",
            metadata: LogText.tokenMetadata(jws, issuer: source, token: logout.token)
        )
        log(rejection, outcome: .deferred, source: source, jws: jws, logout, receivedAt)
        return .unavailable(
            reason: "IN-4: \(why); retry after the issuer's keys are fetched again",
            retryAfter: retryAfter
        )
    }

    func reject(
        _ rejection: TokenRejection,
        source: String,
        jws: CompactJWS?,
        _ logout: InboundLogout,
        _ receivedAt: Timestamp,
        message: Logger.Message = "logout token rejected"
    ) -> IntakeResult {
        metrics.requestRejected(rule: rejection.rule)
        if let wait = charge(source: source, logout) { return .rateLimited(retryAfter: wait) }
        metrics.logoutReceived(issuer: source, outcome: .rejected)
        var metadata = LogText.tokenMetadata(jws, issuer: source, token: logout.token)
        metadata["rule"] = "\(rejection.rule)"
        metadata["reason"] = "\(SafeText.printable(rejection.description, limit: 200))"
        logger.notice(message, metadata: metadata)
        log(rejection, outcome: .rejected, source: source, jws: jws, logout, receivedAt)
        return .rejected(rejection)
    }

    /// Charges a rejection to the client's and the issuer's budgets (SEC-4); returns the
    /// `Retry-After` of a `429` when one of them is spent.
    func charge(source: String, _ logout: InboundLogout) -> Duration? {
        switch limiter.charge(client: logout.budgetKey, issuer: source) {
        case .record:
            return nil
        case .exhausted(let account, let retryAfter):
            metrics.rateLimited(scope: account.hasPrefix("issuer:") ? "issuer" : "client")
            return retryAfter
        }
    }

    private func log(
        _ rejection: TokenRejection,
        outcome: RejectedLogout.Outcome,
        source: String,
        jws: CompactJWS?,
        _ logout: InboundLogout,
        _ receivedAt: Timestamp
    ) {
        let payload = jws?.payload ?? [:]
        var entry = RejectedLogout(
            source: source,
            iss: payload["iss"]?.stringValue,
            sub: payload["sub"]?.stringValue,
            sid: payload["sid"]?.stringValue,
            jti: payload["jti"]?.stringValue,
            tokenHash: String(Digests.tokenHash(logout.token).prefix(16)),
            reason: "\(rejection.rule): \(rejection.description)",
            clientAddress: logout.clientAddress
        )
        entry.outcome = outcome
        entry.traceContext = tracing.current()
        if !store.enqueueRejection(entry, now: receivedAt) {
            metrics.rejectionsNotRecorded(1)
        }
    }
}
