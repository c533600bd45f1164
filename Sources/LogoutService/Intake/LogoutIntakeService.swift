import Foundation
import Logging
import LogoutCore
import LogoutJWT

/// Validates an inbound logout token and records it with its fan-out (rulebook section 1).
///
/// Order matters for cost and for safety: shape, then issuer selection, then header rules, then
/// one signature check, then claims, then one durable write. Nothing the token says is trusted
/// before the signature is verified with keys from registration. Rejections are charged to the
/// client's and the issuer's budgets and logged in the background; they never wait for, or
/// delay, the commit of an accepted logout (SEC-4).
struct LogoutIntakeService: LogoutIntake {
    let store: any IntakeStore
    /// Our streams at transmitters: a verification SET we asked for marks one verified.
    let upstreams: any UpstreamStreamStore
    /// Front-channel requests end only sessions that hold their `sid` (FC-3).
    let registry: any RegistryStore
    let directory: IssuerDirectory
    let signatures: SignatureChecker
    let limiter: RejectionLimiter
    let wakers: QueueWakers
    let metrics: LogoutMetrics
    /// Accepted logouts by issuer: one summary per window at info, each at debug (ADM-4).
    let outcomes: OutcomeLog
    /// Our `issuer`: the audience of SETs pushed to us (SSF-5).
    let ourIssuer: String
    /// Keys the digest a front-channel `sid` is logged and recorded as (FC-3).
    let secrets: SecretBox
    /// The intake's spans; its context is stored with the event (TRACE-1).
    let tracing: LogoutTracing
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func receive(_ logout: InboundLogout) async -> IntakeResult {
        await tracing.span("logout intake") { span in
            let result = await validateAndRecord(logout, span: span)
            span.describe(result)
            return result
        }
    }

    private func validateAndRecord(_ logout: InboundLogout, span: TraceSpan) async -> IntakeResult {
        let receivedAt = now()
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(logout.token)
        } catch {
            return reject(error, source: "unknown", jws: nil, logout, receivedAt)
        }

        let entry: IssuerDirectory.Entry
        switch directory.lookup(pinnedName: logout.pinnedIssuer, unverifiedIssuer: jws.payload["iss"]?.stringValue) {
        case .found(let found):
            entry = found
        case .unknown(let why):
            let rule = jws.payload["iss"] == nil && logout.pinnedIssuer == nil ? "IN-8" : "IN-3"
            return reject(TokenRejection(rule, why), source: "unknown", jws: jws, logout, receivedAt)
        }
        let source = entry.issuer.name
        span.set("logoutd.issuer", source)

        let claims: LogoutClaims
        do {
            let header = try LogoutTokenValidator.checkHeader(jws.header, policy: entry.policy)
            let verified = await tracing.span("verify signature") { span in
                span.set("logoutd.issuer", source)
                do throws(TokenRejection) {
                    return Result<SignatureChecker.Outcome, TokenRejection>.success(
                        try await signatures.verify(jws, header: header, entry: entry)
                    )
                } catch {
                    span.fail("refused by rule \(error.rule)")
                    return .failure(error)
                }
            }
            switch try verified.get() {
            case .valid:
                break
            case .retryLater(let why, let retryAfter, let deferral):
                guard deferral else {
                    logger.warning("issuer keys unavailable", metadata: ["issuer": "\(source)", "error": "\(why)"])
                    return .unavailable(
                        reason: "the issuer's keys cannot be fetched right now; retry later",
                        retryAfter: retryAfter
                    )
                }
                return deferKeyRotation(why, retryAfter: retryAfter, source: source, jws: jws, logout, receivedAt)
            }
            claims = try LogoutTokenValidator.checkClaims(
                jws.payload,
                policy: entry.policy,
                now: receivedAt,
                pinnedRoute: logout.pinnedIssuer != nil
            )
        } catch {
            return reject(error, source: source, jws: jws, logout, receivedAt)
        }
        return await record(claims, jws: jws, entry: entry, logout, receivedAt)
    }

    private func record(
        _ claims: LogoutClaims,
        jws: CompactJWS,
        entry: IssuerDirectory.Entry,
        _ logout: InboundLogout,
        _ receivedAt: Timestamp
    ) async -> IntakeResult {
        let source = entry.issuer.name
        let tokenHash = Digests.tokenHash(logout.token)
        let signedHash = Digests.signingInputHash(jws)
        let accepted = AcceptedLogout(
            request: LogoutRequest(source: source, issuerName: source, sub: claims.sub, sid: claims.sid),
            iss: claims.iss,
            jti: claims.jti,
            replay: ReplayKey(
                issuerName: source,
                key: claims.jti ?? "sha256:" + signedHash,
                tokenHash: signedHash,
                expiresAt: receivedAt + entry.policy.replayRetention
            ),
            tokenHash: tokenHash,
            clientAddress: logout.clientAddress
        )
        guard let recorded = await commit(accepted, source: source, what: "logout", receivedAt) else {
            return .unavailable(
                reason: "the logout could not be recorded durably; retry later",
                retryAfter: .seconds(5)
            )
        }
        switch recorded {
        case .accepted(let eventID, let deliveries, _, _):
            return .accepted(eventID: eventID, deliveries: deliveries)
        case .nothingToEnd:
            // Only front-channel requests ask for it; a logout token ends what it finds (IN-18).
            return .duplicate
        case .duplicate(let original):
            metrics.logoutReceived(issuer: source, outcome: .duplicate)
            logger.debug("identical retransmission", metadata: ["issuer": "\(source)", "event.id": "\(original)"])
            return .duplicate
        case .replayConflict:
            metrics.logoutReceived(issuer: source, outcome: .rejected)
            metrics.requestRejected(rule: "IN-12")
            logger.notice(
                "logout token rejected",
                metadata: [
                    "issuer": "\(source)", "rule": "IN-12", "token_hash": "\((accepted.tokenHash ?? "-").prefix(16))",
                ]
            )
            return .rejected(TokenRejection("IN-12", "jti was already used by a different token"))
        }
    }

    /// The one durable write of an accepted logout, whatever carried it (a logout token, a
    /// session-revoked SET), and what follows an acceptance: the queues woken, the metrics and
    /// the journal's digest. Nil when the store failed (logged): the sender is asked to retry.
    func commit(
        _ accepted: AcceptedLogout,
        source: String,
        what: String,
        _ receivedAt: Timestamp
    ) async -> RecordedLogout? {
        var accepted = accepted
        accepted.traceContext = tracing.current()
        let recorded: RecordedLogout
        do {
            recorded = try await tracing.span("record logout") { span in
                span.set("logoutd.issuer", source)
                return try await store.recordLogout(accepted, now: receivedAt)
            }
        } catch {
            logger.error(
                "cannot record \(what)",
                metadata: [
                    "issuer": "\(source)", "token_hash": "\((accepted.tokenHash ?? "-").prefix(16))",
                    "error": "\(error)",
                ]
            )
            return nil
        }
        if case .accepted(let eventID, let deliveries, let skipped, let revocations) = recorded {
            for clientID in skipped { metrics.deliveryFinished(clientID: clientID, outcome: .skipped) }
            wakers.queued(deliveries: deliveries, revocations: revocations)
            metrics.logoutReceived(issuer: source, outcome: .accepted)
            outcomes.record(
                .succeeded,
                key: source,
                amount: deliveries,
                "\(what) accepted",
                level: .info,
                metadata: [
                    "issuer": "\(source)", "event.id": "\(eventID)", "deliveries": "\(deliveries)",
                    "token_hash": "\((accepted.tokenHash ?? "-").prefix(16))",
                ]
            )
        }
        return recorded
    }
}
