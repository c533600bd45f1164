import Foundation
import Logging
import LogoutCore
import LogoutJWT
import LogoutStorage

/// Validates an inbound logout token and records it with its fan-out (rulebook section 1).
///
/// Order matters for cost and for safety: shape, then issuer selection, then header rules, then
/// one signature check, then claims, then one durable write. Nothing the token says is trusted
/// before the signature is verified with keys from registration.
struct LogoutIntakeService: LogoutIntake {
    let database: LogoutDatabase
    let directory: IssuerDirectory
    let keyCache: IssuerKeyCache
    let waker: Waker
    let now: @Sendable () -> Date
    let logger: Logger

    func receive(_ logout: InboundLogout) async -> IntakeResult {
        let receivedAt = now()
        let tokenHash = Digests.tokenHash(logout.token)
        let jws: CompactJWS
        do {
            jws = try CompactJWS.parse(logout.token)
        } catch {
            return await reject(
                error,
                source: logout.pinnedIssuer ?? "unknown",
                jws: nil,
                hash: tokenHash,
                logout,
                receivedAt
            )
        }

        let entry: IssuerDirectory.Entry
        switch directory.lookup(pinnedName: logout.pinnedIssuer, unverifiedIssuer: jws.payload["iss"]?.stringValue) {
        case .found(let found):
            entry = found
        case .unknown(let why):
            let rule = jws.payload["iss"] == nil && logout.pinnedIssuer == nil ? "IN-8" : "IN-3"
            return await reject(
                TokenRejection(rule, why),
                source: "unknown",
                jws: jws,
                hash: tokenHash,
                logout,
                receivedAt
            )
        }
        let source = entry.issuer.name

        let claims: LogoutClaims
        do {
            let header = try LogoutTokenValidator.checkHeader(jws.header, policy: entry.policy)
            try await verifySignature(jws, header: header, entry: entry)
            claims = try LogoutTokenValidator.checkClaims(
                jws.payload,
                policy: entry.policy,
                now: receivedAt.timeIntervalSince1970
            )
        } catch let rejection as TokenRejection {
            return await reject(rejection, source: source, jws: jws, hash: tokenHash, logout, receivedAt)
        } catch let unavailable as IssuerKeyCache.Unavailable {
            logger.warning(
                "issuer keys unavailable",
                metadata: ["issuer": "\(source)", "error": "\(unavailable.description)"]
            )
            return .unavailable(reason: "the issuer's keys cannot be fetched right now; retry later")
        } catch {
            logger.error("unexpected validation failure", metadata: ["issuer": "\(source)", "error": "\(error)"])
            return .unavailable(reason: "internal error; retry later")
        }

        let accepted = AcceptedLogout(
            request: LogoutRequest(
                source: source,
                issuer: entry.issuer.issuer,
                issuerName: source,
                sub: claims.sub,
                sid: claims.sid
            ),
            iss: claims.iss,
            jti: claims.jti,
            replay: ReplayKey(
                issuerName: source,
                key: claims.jti ?? "sha256:" + tokenHash,
                tokenHash: tokenHash,
                expiresAt: receivedAt.addingTimeInterval(entry.policy.replayRetention)
            ),
            tokenHash: tokenHash,
            clientAddress: logout.clientAddress
        )
        let recorded: RecordedLogout
        do {
            recorded = try await database.recordLogout(accepted, now: receivedAt)
        } catch {
            logger.error(
                "cannot record logout",
                metadata: ["issuer": "\(source)", "jti": "\(claims.jti ?? "-")", "error": "\(error)"]
            )
            return .unavailable(reason: "the logout could not be recorded durably; retry later")
        }
        switch recorded {
        case .accepted(let eventID, let deliveries):
            if deliveries > 0 { waker.signal() }
            logger.debug(
                "logout accepted",
                metadata: [
                    "issuer": "\(source)", "event": "\(eventID)", "deliveries": "\(deliveries)",
                    "jti": "\(claims.jti ?? "-")", "token_hash": "\(tokenHash.prefix(16))",
                ]
            )
            return .accepted(eventID: eventID, deliveries: deliveries)
        case .duplicate(let original):
            logger.debug("identical retransmission", metadata: ["issuer": "\(source)", "event": "\(original)"])
            return .duplicate
        case .replayConflict:
            let rejection = TokenRejection("IN-12", "jti was already used by a different token")
            logger.notice(
                "logout token rejected",
                metadata: ["issuer": "\(source)", "rule": "IN-12", "token_hash": "\(tokenHash.prefix(16))"]
            )
            return .rejected(rejection)
        }
    }

    private func verifySignature(_ jws: CompactJWS, header: CheckedHeader, entry: IssuerDirectory.Entry) async throws {
        var outcome: JWSVerifier.Outcome
        switch entry.trust {
        case .sharedSecret(let secret):
            outcome = JWSVerifier.verify(jws, header: header, sharedSecret: secret)
        case .inline(let keys):
            outcome = JWSVerifier.verify(jws, header: header, keys: keys)
        case .jwksURI(let uri):
            outcome = JWSVerifier.verify(jws, header: header, keys: try await keyCache.keys(for: uri))
            if case .unknownKeyID = outcome, let refreshed = await keyCache.refreshForUnknownKey(uri) {
                outcome = JWSVerifier.verify(jws, header: header, keys: refreshed)
            }
        }
        switch outcome {
        case .valid: return
        case .invalidSignature: throw TokenRejection("IN-4", "the signature does not verify")
        case .unknownKeyID: throw TokenRejection("IN-4", "kid is not one of the issuer's keys")
        case .noUsableKey:
            throw TokenRejection("IN-4", "the issuer has no key for alg \(header.algorithm.rawValue)")
        }
    }

    private func reject(
        _ error: TokenRejection,
        source: String,
        jws: CompactJWS?,
        hash: String,
        _ logout: InboundLogout,
        _ receivedAt: Date
    ) async -> IntakeResult {
        let payload = jws?.payload ?? [:]
        logger.notice(
            "logout token rejected",
            metadata: [
                "issuer": "\(source)", "rule": "\(error.rule)", "reason": "\(error.description)",
                "alg": "\(jws?.header["alg"]?.stringValue.map { String($0.prefix(16)) } ?? "-")",
                "kid": "\(jws?.header["kid"]?.stringValue.map { String($0.prefix(64)) } ?? "-")",
                "token_hash": "\(hash.prefix(16))",
            ]
        )
        do {
            try await database.recordRejection(
                RejectedLogout(
                    source: source,
                    iss: payload["iss"]?.stringValue,
                    sub: payload["sub"]?.stringValue.map { String($0.prefix(1024)) },
                    sid: payload["sid"]?.stringValue.map { String($0.prefix(1024)) },
                    jti: payload["jti"]?.stringValue,
                    tokenHash: hash,
                    reason: "\(error.rule): \(error.description)",
                    clientAddress: logout.clientAddress
                ),
                now: receivedAt
            )
        } catch {
            logger.warning("cannot record a rejected logout", metadata: ["error": "\(error)"])
        }
        return .rejected(error)
    }
}
