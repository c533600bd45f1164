import Foundation
import Logging
import LogoutCore
import LogoutJWT

/// SETs pushed to us by a registered issuer (SSF-5, RFC 8935): the same registration, keys,
/// budgets and durable write as a logout token, in SSF's order and words. A session-revoked
/// event ends the sessions a logout token with its `sub`/`sid` would, and fans out as one;
/// everything else valid is acknowledged and logged, never acted on.
extension LogoutIntakeService: SecurityEventIntake {
    /// A SET's `jti` is unique per transmitter, not per token type: its replay records are kept
    /// apart from the issuer's logout tokens' under a name no issuer slug can take.
    static func replayScope(_ issuerName: String) -> String { "ssf/" + issuerName }

    func receive(
        securityEvent token: String,
        issuerName: String,
        clientAddress: String?,
        budgetKey: String?
    ) async -> SETIntakeResult {
        await tracing.span("security event intake") { span in
            span.set("logoutd.issuer", SafeText.printable(issuerName, limit: 64))
            let result = await validateAndRecord(token, issuerName, clientAddress, budgetKey)
            span.describe(result)
            return result
        }
    }

    private func validateAndRecord(
        _ token: String,
        _ issuerName: String,
        _ clientAddress: String?,
        _ budgetKey: String?
    ) async -> SETIntakeResult {
        let receivedAt = now()
        let inbound = InboundLogout(
            token: token,
            pinnedIssuer: issuerName,
            clientAddress: clientAddress,
            budgetKey: budgetKey
        )
        func refuse(_ rejection: SETRejection, source: String, jws: CompactJWS?) -> SETIntakeResult {
            let logged = TokenRejection(rejection.rule, "\(rejection.err.rawValue): \(rejection.description)")
            if case .rateLimited(let wait) = reject(
                logged,
                source: source,
                jws: jws,
                inbound,
                receivedAt,
                message: "SET refused"
            ) {
                return .rateLimited(retryAfter: wait)
            }
            return .rejected(rejection)
        }
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(token)
        } catch {
            return refuse(SETRejection(parsing: error), source: "unknown", jws: nil)
        }
        guard case .found(let entry) = directory.lookup(pinnedName: issuerName, unverifiedIssuer: nil) else {
            return refuse(.unknownIssuer(), source: "unknown", jws: jws)
        }
        let source = entry.issuer.name
        let header: CheckedHeader
        do {
            header = try SETValidator.checkHeader(jws.header, policy: entry.policy)
        } catch {
            return refuse(error, source: source, jws: jws)
        }
        do {
            if case .retryLater(let why, let retryAfter, let deferral) = try await signatures.verify(
                jws,
                header: header,
                entry: entry
            ) {
                // An unknown kid inside the refresh cool-down costs the sender as a refusal
                // would: else random kids would be a free way to flood the issuer's key fetches
                // and the log (SEC-4).
                if deferral, let wait = charge(source: source, inbound) { return .rateLimited(retryAfter: wait) }
                logger.notice(
                    deferral
                        ? "SET deferred: unknown key id inside the refresh cool-down"
                        : "issuer keys unavailable for a SET",
                    metadata: ["issuer": "\(source)", "error": "\(why)"]
                )
                return .unavailable(
                    reason: "the issuer's keys cannot be fetched right now; retry later",
                    retryAfter: retryAfter
                )
            }
        } catch {
            // The key checker speaks of logout tokens (IN-4): a signature that does not verify
            // is RFC 8935's authentication_failed, a key that cannot be found its invalid_key.
            let failed = error.description.hasPrefix("the signature")
            return refuse(
                failed ? .invalidSignature() : SETRejection(.invalidKey, error.description),
                source: source,
                jws: jws
            )
        }
        let received: ReceivedSET
        do {
            received = try checkClaims(jws.payload, entry: entry, now: receivedAt)
        } catch {
            return refuse(error, source: source, jws: jws)
        }
        var metadata: Logger.Metadata = [
            "issuer": "\(source)", "set.jti": "\(SafeText.printable(received.jti, limit: 64))",
        ]
        switch received.event {
        case .sessionRevoked(let revocation):
            return await record(revocation, received, jws: jws, entry: entry, inbound, receivedAt)
        case .verification(let streamID, let state):
            metadata["stream"] = "\(SafeText.printable(streamID, limit: 64))"
            // The answer to the verification our own stream at this transmitter asked for.
            if let state,
                (try? await upstreams.markUpstreamStreamVerified(
                    issuer: source,
                    streamID: streamID,
                    state: state,
                    now: receivedAt
                )) == true
            {
                logger.info("SSF upstream stream verified", metadata: metadata)
            } else {
                logger.info("SSF verification SET received", metadata: metadata)
            }
        case .streamUpdated(let streamID, let status):
            metadata["stream"] = "\(SafeText.printable(streamID, limit: 64))"
            metadata["status"] = "\(status.state.rawValue)"
            logger.notice("SSF stream-updated SET received", metadata: metadata)
        case .notActedOn(let type, let reason):
            metadata["event_type"] = "\(SafeText.printable(type.rawValue, limit: 128))"
            metadata["reason"] = "\(reason)"
            logger.info("SET accepted, not acted on", metadata: metadata)
        }
        return .accepted(eventID: nil)
    }

    /// `aud` holds our issuer URL or the audience set on the issuer (its logout tokens' `aud`).
    private func checkClaims(
        _ claims: [String: JSONValue],
        entry: IssuerDirectory.Entry,
        now: Timestamp
    ) throws(SETRejection) -> ReceivedSET {
        do {
            return try SETValidator.checkClaims(claims, policy: entry.policy, audience: ourIssuer, now: now)
        } catch  where error.err == .invalidAudience && entry.policy.audience != ourIssuer {
            return try SETValidator.checkClaims(claims, policy: entry.policy, audience: entry.policy.audience, now: now)
        }
    }

    private func record(
        _ revocation: SessionRevocation,
        _ received: ReceivedSET,
        jws: CompactJWS,
        entry: IssuerDirectory.Entry,
        _ inbound: InboundLogout,
        _ receivedAt: Timestamp
    ) async -> SETIntakeResult {
        let source = entry.issuer.name
        let signedHash = Digests.signingInputHash(jws)
        let accepted = AcceptedLogout(
            request: LogoutRequest(source: source, issuerName: source, sub: revocation.sub, sid: revocation.sid),
            iss: received.issuer,
            jti: received.jti,
            replay: ReplayKey(
                issuerName: Self.replayScope(source),
                key: received.jti,
                tokenHash: signedHash,
                // A SET is accepted up to its maximum age: its record outlives that.
                expiresAt: received.issuedAt + SETValidator.defaultMaximumAge + entry.policy.clockSkew
            ),
            tokenHash: Digests.tokenHash(inbound.token),
            clientAddress: inbound.clientAddress,
            // The event's time (its iat when it gives none; never later), with the issuer's
            // clock skew: a SET retried for days must not end the sessions opened since.
            sessionsRegisteredBy: min(revocation.eventTime ?? received.issuedAt, received.issuedAt)
                + entry.policy.clockSkew
        )
        guard let recorded = await commit(accepted, source: source, what: "session-revoked SET", receivedAt) else {
            return .unavailable(reason: "the SET could not be recorded durably; retry later", retryAfter: .seconds(5))
        }
        switch recorded {
        case .accepted(let eventID, _, _, _):
            return .accepted(eventID: eventID)
        case .duplicate, .replayConflict, .nothingToEnd:
            // RFC 8935 leaves a repeated jti to the receiver: acknowledged, nothing changes.
            metrics.logoutReceived(issuer: source, outcome: .duplicate)
            logger.debug(
                "repeated SET",
                metadata: ["issuer": "\(source)", "token_hash": "\((accepted.tokenHash ?? "-").prefix(16))"]
            )
            return .accepted(eventID: nil)
        }
    }
}
