import Foundation
import Logging
import LogoutCore
import LogoutJWT
import LogoutStorage

/// The admin use cases (contract C4): validation, sealing of secrets, and the effects on the
/// in-memory issuer directory and the dispatcher.
struct AdminService: AdminOperations {
    let database: LogoutDatabase
    let directory: IssuerDirectory
    let keyCache: IssuerKeyCache
    let secrets: SecretBox
    let keys: SigningKeyStore
    let waker: Waker
    let allowPrivateNetworks: Bool
    /// Our own `iss`: the token issuer of RPs that set none.
    let ourIssuer: String
    let now: @Sendable () -> Date
    let logger: Logger

    // MARK: Issuers

    func createIssuer(_ input: IssuerInput) async throws -> Issuer {
        try RegistrationRules.name(input.name)
        try RegistrationRules.identifier(input.issuer, field: "issuer", maximum: 1024)
        try RegistrationRules.identifier(input.audience, field: "audience", maximum: 1024)
        let keySource: Issuer.KeySource
        var sealedShared: [UInt8]?
        let trust: IssuerPolicy.Trust
        switch input.keys {
        case .jwksURI(let uri):
            try RegistrationRules.url(uri, field: "jwks_uri", allowHTTP: allowPrivateNetworks)
            keySource = .jwksURI(uri)
            trust = .keys
        case .jwks(let document):
            let parsed: JWKSet
            do {
                parsed = try JWKSet.parse(document)
            } catch {
                throw AdminError.invalid("jwks: \(error.description)")
            }
            guard !parsed.keys.isEmpty else {
                throw AdminError.invalid(
                    "jwks holds no usable signing key"
                        + (parsed.skipped.isEmpty ? "" : ": " + parsed.skipped.joined(separator: "; "))
                )
            }
            keySource = .jwks(JSONSerializer.string(document))
            trust = .keys
        case .sharedSecret(let secret):
            try RegistrationRules.secret(secret, field: "shared_secret")
            sealedShared = try secrets.seal(Array(secret.utf8), for: .issuerSharedSecret(input.name))
            keySource = .sharedSecret
            trust = .sharedSecret
        }
        let defaults = trust == .sharedSecret ? JWSAlgorithm.symmetricDefaults : JWSAlgorithm.asymmetricDefaults
        let algorithms = input.algorithms.map { Array(Set($0)) } ?? Array(defaults)
        guard !algorithms.isEmpty else { throw AdminError.invalid("algorithms must not be empty") }
        for algorithm in algorithms where algorithm.isSymmetric != (trust == .sharedSecret) {
            throw AdminError.invalid(
                trust == .sharedSecret
                    ? "a shared-secret issuer signs with HS256, HS384 or HS512; \(algorithm.rawValue) is not allowed"
                    : "\(algorithm.rawValue) needs a shared secret; an issuer with keys may only use asymmetric algorithms"
            )
        }
        for (field, value) in [
            ("end_session_endpoint", input.endSessionEndpoint), ("revocation_endpoint", input.revocationEndpoint),
        ] {
            if let value { try RegistrationRules.url(value, field: field, allowHTTP: allowPrivateNetworks) }
        }
        let issuer = Issuer(
            name: input.name,
            issuer: input.issuer,
            audience: input.audience,
            keySource: keySource,
            algorithms: algorithms.sorted(),
            typPolicy: input.typPolicy ?? .default,
            requireExp: trust == .sharedSecret ? false : (input.requireExp ?? true),
            endSessionEndpoint: input.endSessionEndpoint,
            revocationEndpoint: input.revocationEndpoint,
            clientID: input.clientID,
            hasClientSecret: input.clientSecret != nil,
            createdAt: now().roundedToMilliseconds
        )
        let stored = StoredIssuer(
            issuer: issuer,
            sealedSharedSecret: sealedShared,
            sealedClientSecret: try input.clientSecret.map {
                try secrets.seal(Array($0.utf8), for: .issuerClientSecret(input.name))
            }
        )
        try await storage { try await database.insertIssuer(stored) }
        try await directory.reload(from: database)
        logger.info("issuer registered", metadata: ["issuer": "\(issuer.name)", "key_source": "\(trust.rawValue)"])
        return issuer
    }

    func issuers() async throws -> [Issuer] {
        try await storage { try await database.issuers().map(\.issuer) }
    }

    func issuer(named name: String) async throws -> Issuer {
        guard let stored = try await storage({ try await database.issuer(named: name) }) else {
            throw AdminError.notFound("no issuer named \(name)")
        }
        return stored.issuer
    }

    func deleteIssuer(named name: String) async throws {
        let existing = try await issuer(named: name)
        try await storage { try await database.deleteIssuer(named: name) }
        if case .jwksURI(let uri) = existing.keySource { await keyCache.forget(uri) }
        try await directory.reload(from: database)
        logger.info("issuer removed", metadata: ["issuer": "\(name)"])
    }

    // MARK: Relying parties

    func createRelyingParty(_ input: RelyingPartyInput) async throws -> RelyingParty {
        let stored = try await validated(input, existing: nil)
        try await storage { try await database.insertRelyingParty(stored) }
        logger.info("RP registered", metadata: ["client_id": "\(input.clientID)"])
        return stored.relyingParty
    }

    func relyingParties() async throws -> [RelyingParty] {
        try await storage { try await database.relyingParties().map(\.relyingParty) }
    }

    func relyingParty(clientID: String) async throws -> RelyingParty {
        guard let stored = try await storage({ try await database.relyingParty(clientID: clientID) }) else {
            throw AdminError.notFound("no RP with client_id \(clientID)")
        }
        return stored.relyingParty
    }

    func replaceRelyingParty(_ input: RelyingPartyInput) async throws -> RelyingParty {
        guard let existing = try await storage({ try await database.relyingParty(clientID: input.clientID) }) else {
            throw AdminError.notFound("no RP with client_id \(input.clientID)")
        }
        let replacement = try await validated(input, existing: existing)
        let updated = try await storage {
            try await database.updateRelyingParty(clientID: input.clientID) { stored in
                stored = replacement
            }
        }
        if updated.relyingParty.enabled { waker.signal() }
        logger.info("RP updated", metadata: ["client_id": "\(input.clientID)"])
        return updated.relyingParty
    }

    func deleteRelyingParty(clientID: String) async throws {
        try await storage { try await database.deleteRelyingParty(clientID: clientID, now: now()) }
        logger.info("RP removed", metadata: ["client_id": "\(clientID)"])
    }

    private func validated(_ input: RelyingPartyInput, existing: StoredRelyingParty?) async throws -> StoredRelyingParty
    {
        try RegistrationRules.identifier(input.clientID, field: "client_id")
        try RegistrationRules.url(
            input.backchannelLogoutURI,
            field: "backchannel_logout_uri",
            allowHTTP: allowPrivateNetworks || input.allowHTTP
        )
        if let tokenIssuer = input.tokenIssuer {
            try RegistrationRules.identifier(tokenIssuer, field: "token_issuer", maximum: 1024)
        }
        for uri in input.postLogoutRedirectURIs {
            try RegistrationRules.url(uri, field: "post_logout_redirect_uris", allowHTTP: true)
        }
        if let uri = input.frontchannelLogoutURI {
            try RegistrationRules.url(
                uri,
                field: "frontchannel_logout_uri",
                allowHTTP: allowPrivateNetworks || input.allowHTTP
            )
        }
        if input.subjects == .all {
            guard !input.issuers.isEmpty else {
                throw AdminError.invalid("an RP with subjects \"all\" must list the issuer names it follows in issuers")
            }
            let known = Set(try await storage { try await database.issuers().map(\.issuer.name) })
            for name in input.issuers where !known.contains(name) {
                throw AdminError.invalid("issuers names \(name), which is not a registered issuer")
            }
        }
        var sealedSecret: [UInt8]?
        if input.signingAlgorithm == .hs256 {
            if let secret = input.clientSecret {
                try RegistrationRules.secret(secret, field: "signing.client_secret")
                sealedSecret = try secrets.seal(Array(secret.utf8), for: .relyingPartyClientSecret(input.clientID))
            } else if let kept = existing?.sealedClientSecret {
                sealedSecret = kept
            } else {
                throw AdminError.invalid("HS256 signing needs signing.client_secret, the RP's client secret")
            }
        } else if input.clientSecret != nil {
            throw AdminError.invalid("signing.client_secret is only used with alg HS256")
        }
        let timestamp = now().roundedToMilliseconds
        let rp = RelyingParty(
            clientID: input.clientID,
            backchannelLogoutURI: input.backchannelLogoutURI,
            sessionRequired: input.sessionRequired,
            signingAlgorithm: input.signingAlgorithm,
            hasClientSecret: sealedSecret != nil,
            tokenIssuer: input.tokenIssuer,
            subjects: input.subjects,
            issuers: input.issuers,
            enabled: input.enabled,
            allowHTTP: input.allowHTTP,
            postLogoutRedirectURIs: input.postLogoutRedirectURIs,
            frontchannelLogoutURI: input.frontchannelLogoutURI,
            frontchannelLogoutSessionRequired: input.frontchannelLogoutSessionRequired,
            createdAt: existing?.relyingParty.createdAt ?? timestamp,
            updatedAt: timestamp
        )
        return StoredRelyingParty(relyingParty: rp, sealedClientSecret: sealedSecret)
    }

    // MARK: Sessions

    func createSession(_ input: SessionInput) async throws -> Session {
        try RegistrationRules.identifier(input.issuer, field: "issuer", maximum: 1024)
        for (field, value) in [
            ("sub", input.sub), ("sid", input.sid), ("rp_sub", input.rpSub), ("rp_sid", input.rpSid),
        ] {
            if let value { try RegistrationRules.identifier(value, field: field, maximum: 1024) }
        }
        if let expiresAt = input.expiresAt, expiresAt <= now() {
            throw AdminError.invalid("expires_at is in the past")
        }
        // SEC-5: a session belongs to a registration, found by its iss (or its name).
        guard let issuer = directory.registered(input.issuer) else {
            throw AdminError.invalid("issuer \(quoted(input.issuer)) is not the iss (or name) of a registered issuer")
        }
        let rp: RelyingParty
        do {
            rp = try await relyingParty(clientID: input.clientID)
        } catch let error as AdminError where error.kind == .notFound {
            throw AdminError.invalid("client_id \(quoted(input.clientID)) is not a registered RP")
        }
        let session = NewSession(
            issuerName: issuer.name,
            sub: input.sub,
            sid: input.sid,
            clientID: input.clientID,
            rpSub: input.rpSub ?? input.sub,
            rpSid: SessionDefaults.rpSid(
                input,
                sessionIssuer: issuer.issuer,
                rpTokenIssuer: rp.tokenIssuer ?? ourIssuer
            ),
            expiresAt: input.expiresAt,
            sealTokens: tokenSealer(input)
        )
        do {
            return try await storage { try await database.insertSession(session, now: now()) }
        } catch let error as AdminError where error.kind == .notFound {
            throw AdminError.invalid(error.description)
        }
    }

    /// Seals a session's upstream tokens bound to its row, once storage knows the row's id.
    private func tokenSealer(_ input: SessionInput) -> (@Sendable (Int64) throws -> SealedSessionTokens)? {
        let tokens: [(column: String, value: String?)] = [
            ("id_token", input.idToken), ("access_token", input.accessToken), ("refresh_token", input.refreshToken),
        ]
        guard tokens.contains(where: { $0.value != nil }) else { return nil }
        let secrets = self.secrets
        return { id in
            var sealed: [String: [UInt8]] = [:]
            for (column, value) in tokens {
                guard let value else { continue }
                sealed[column] = try secrets.seal(Array(value.utf8), for: .sessionToken(column, session: id))
            }
            return SealedSessionTokens(
                idToken: sealed["id_token"],
                accessToken: sealed["access_token"],
                refreshToken: sealed["refresh_token"]
            )
        }
    }

    func sessions(_ query: SessionQuery) async throws -> [Session] {
        try await storage {
            try await database.sessions(
                SessionFilter(issuer: query.issuer, sub: query.sub, clientID: query.clientID, limit: query.limit)
            )
        }
    }

    func deleteSession(id: Int64) async throws {
        try await storage { try await database.deleteSession(id: id) }
    }

    // MARK: Log

    func events(_ query: EventQuery) async throws -> [EventRecord] {
        try await storage {
            try await database.events(EventFilter(outcome: query.outcome, limit: query.limit, beforeID: query.beforeID))
        }
    }

    func event(id: Int64) async throws -> EventRecord {
        guard let event = try await storage({ try await database.event(id: id) }) else {
            throw AdminError.notFound("no event with id \(id)")
        }
        return event
    }

    func deliveries(_ query: DeliveryQuery) async throws -> [DeliveryRecord] {
        try await storage {
            try await database.deliveries(
                DeliveryFilter(
                    status: query.status,
                    clientID: query.clientID,
                    eventID: query.eventID,
                    limit: query.limit,
                    beforeID: query.beforeID
                )
            )
        }
    }

    func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord]) {
        guard let found = try await storage({ try await database.delivery(id: id) }) else {
            throw AdminError.notFound("no delivery with id \(id)")
        }
        return found
    }

    func retryDelivery(id: Int64) async throws {
        switch try await storage({ try await database.retryDelivery(id: id, now: now()) }) {
        case .queued:
            waker.signal()
            logger.info("delivery queued again", metadata: ["delivery": "\(id)"])
        case .notFound:
            throw AdminError.notFound("no delivery with id \(id)")
        case .alreadyDelivered:
            throw AdminError(.conflict, "already_delivered", "delivery \(id) was delivered; nothing to retry")
        }
    }

    func recoverDeliveries(clientID: String, since: Date) async throws -> Int {
        _ = try await relyingParty(clientID: clientID)
        let count = try await storage {
            try await database.recoverDeliveries(clientID: clientID, since: since, now: now())
        }
        if count > 0 { waker.signal() }
        logger.info("failed deliveries queued again", metadata: ["client_id": "\(clientID)", "count": "\(count)"])
        return count
    }

    // MARK: Admin logout

    func logout(issuer: String, sub: String?, sid: String?) async throws -> Int64 {
        guard sub != nil || sid != nil else { throw AdminError.invalid("give sub, sid or both") }
        for (field, value) in [("issuer", issuer), ("sub", sub), ("sid", sid)] {
            if let value { try RegistrationRules.identifier(value, field: field, maximum: 1024) }
        }
        guard let entry = directory.registered(issuer) else {
            throw AdminError.invalid("issuer must be the name or the iss of a registered issuer")
        }
        let logout = AcceptedLogout(
            request: LogoutRequest(source: "admin", issuerName: entry.name, sub: sub, sid: sid),
            iss: entry.issuer,
            jti: nil,
            replay: nil,
            tokenHash: nil,
            clientAddress: nil
        )
        switch try await storage({ try await database.recordLogout(logout, now: now()) }) {
        case .accepted(let eventID, let deliveries):
            if deliveries > 0 { waker.signal() }
            logger.info("admin logout recorded", metadata: ["event": "\(eventID)", "deliveries": "\(deliveries)"])
            return eventID
        case .duplicate, .replayConflict:
            throw AdminError(.conflict, "conflict", "the logout could not be recorded")
        }
    }

    func signingKeys() async throws -> [SigningKeyInfo] {
        keys.keys.map { stored in
            SigningKeyInfo(
                keyID: stored.key.keyID,
                algorithm: stored.key.algorithm,
                createdAt: stored.createdAt,
                active: keys.active(stored.key.algorithm)?.keyID == stored.key.keyID
            )
        }
    }

    /// Maps storage failures: registry conflicts and misses to 409/404, a busy or failing
    /// database to 503, so admins and scripts can tell "fix your request" from "try again".
    private func storage<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as LogoutDatabase.RegistryError {
            switch error {
            case .conflict(let text): throw AdminError(.conflict, "conflict", text)
            case .notFound(let text): throw AdminError.notFound(text)
            }
        } catch let error as AdminError {
            throw error
        } catch {
            logger.error("database error", metadata: ["error": "\(error)"])
            throw AdminError(.unavailable, "temporarily_unavailable", "the database is unavailable; retry later")
        }
    }
}

extension Date {
    /// Whole milliseconds, as storage keeps them, so what the API returns equals what it stored.
    var roundedToMilliseconds: Date {
        Date(timeIntervalSince1970: (timeIntervalSince1970 * 1000).rounded() / 1000)
    }
}
