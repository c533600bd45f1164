import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// Who we notify (contract C4): registration and changes, with the same rules for both.
struct RelyingPartyAdmin: Sendable {
    let context: AdminContext

    func create(_ registration: RelyingPartyRegistration) async throws -> RelyingPartyResource {
        guard let clientID = registration.clientID.value else { throw AdminError.invalid("client_id is required") }
        let stored = try await validated(registration, clientID: clientID, existing: nil)
        try await context.storage { try await context.store.insertRelyingParty(stored) }
        context.logger.info("RP registered", metadata: ["client_id": "\(clientID)"])
        return RelyingPartyResource(stored.relyingParty)
    }

    /// PATCH: the members given replace the stored ones, `null` clears an optional one, and an
    /// HS256 secret is kept unless a new one is given.
    func update(clientID: String, _ change: RelyingPartyRegistration) async throws -> RelyingPartyResource {
        guard let existing = try await context.storage({ try await context.store.relyingParty(clientID: clientID) })
        else {
            throw AdminError.notFound("no RP with client_id \(clientID)")
        }
        if let changed = change.clientID.value, changed != clientID {
            throw AdminError.invalid("client_id cannot change; register a new RP instead")
        }
        let stored = try await validated(change, clientID: clientID, existing: existing)
        try await context.storage { try await context.store.replaceRelyingParty(stored) }
        if existing.relyingParty.enabled && !stored.relyingParty.enabled {
            let skipped = try await context.storage {
                try await context.store.skipWaitingDeliveries(
                    clientID: clientID,
                    reason: Self.disabledReason,
                    now: context.now()
                )
            }
            context.logger.notice(
                "RP disabled; its waiting deliveries are skipped",
                metadata: ["client_id": "\(clientID)", "deliveries": "\(skipped)"]
            )
        }
        if stored.relyingParty.enabled { context.wakers.deliveries.signal() }
        context.logger.info("RP updated", metadata: ["client_id": "\(clientID)"])
        return RelyingPartyResource(stored.relyingParty)
    }

    /// The reason a disabled RP's deliveries carry; `deliveries recover` resends them.
    static let disabledReason = "the RP is disabled"

    func list() async throws -> RelyingPartyList {
        let stored = try await context.storage { try await context.store.relyingParties() }
        return RelyingPartyList(rps: stored.map { RelyingPartyResource($0.relyingParty, breaker: $0.breaker) })
    }

    func get(clientID: String) async throws -> RelyingParty {
        try await stored(clientID: clientID).relyingParty
    }

    func stored(clientID: String) async throws -> StoredRelyingParty {
        guard let stored = try await context.storage({ try await context.store.relyingParty(clientID: clientID) })
        else {
            throw AdminError.notFound("no RP with client_id \(clientID)")
        }
        return stored
    }

    func delete(clientID: String) async throws {
        try await context.storage { try await context.store.deleteRelyingParty(clientID: clientID) }
        context.logger.info("RP removed", metadata: ["client_id": "\(clientID)"])
    }

    /// The registration laid over what is stored (nothing, for a new RP), checked as a whole.
    private func validated(
        _ change: RelyingPartyRegistration,
        clientID: String,
        existing: StoredRelyingParty?
    ) async throws -> StoredRelyingParty {
        let current = existing?.relyingParty
        func pick<T>(_ value: Nullable<T>, _ stored: T?, default fallback: T?) -> T? {
            switch value {
            case .absent: return stored ?? fallback
            case .null: return fallback
            case .value(let value): return value
            }
        }
        guard let uri = pick(change.backchannelLogoutURI, current?.backchannelLogoutURI, default: nil) else {
            throw AdminError.invalid("backchannel_logout_uri is required")
        }
        let signing = change.signing.value
        let algorithm = signing?.alg ?? (change.signing == .null ? nil : current?.signingAlgorithm) ?? .es256
        let allowHTTP = pick(change.allowHTTP, current?.allowHTTP, default: false) ?? false
        let subjects = pick(change.subjects, current?.subjects, default: .registered) ?? .registered
        let issuers = pick(change.issuers, current?.issuers, default: []) ?? []
        let tokenIssuer = pick(change.tokenIssuer, current?.tokenIssuer, default: nil)
        let redirects = pick(change.postLogoutRedirectURIs, current?.postLogoutRedirectURIs, default: []) ?? []
        let frontchannel = pick(change.frontchannelLogoutURI, current?.frontchannelLogoutURI, default: nil)

        try RegistrationRules.identifier(clientID, field: "client_id")
        try RegistrationRules.url(
            uri,
            field: "backchannel_logout_uri",
            allowHTTP: context.allowPrivateNetworks || allowHTTP
        )
        if let tokenIssuer { try RegistrationRules.identifier(tokenIssuer, field: "token_issuer", maximum: 1024) }
        for redirect in redirects {
            try RegistrationRules.browserURL(
                redirect,
                field: "post_logout_redirect_uris",
                allowPrivateNetworks: context.allowPrivateNetworks
            )
        }
        if let frontchannel {
            try RegistrationRules.url(
                frontchannel,
                field: "frontchannel_logout_uri",
                allowHTTP: context.allowPrivateNetworks || allowHTTP
            )
        }
        if subjects == .all {
            guard !issuers.isEmpty else {
                throw AdminError.invalid("an RP with subjects \"all\" must list the issuer names it follows in issuers")
            }
            let known = Set(try await context.storage { try await context.store.issuers() }.map(\.issuer.name))
            for name in issuers where !known.contains(name) {
                throw AdminError.invalid("issuers names \(name), which is not a registered issuer")
            }
        }
        let sealedSecret = try sealedSecret(
            signing?.clientSecret,
            algorithm: algorithm,
            clientID: clientID,
            existing: existing
        )
        let timestamp = context.now()
        let rp = RelyingParty(
            clientID: clientID,
            backchannelLogoutURI: uri,
            sessionRequired: pick(change.sessionRequired, current?.sessionRequired, default: false) ?? false,
            signingAlgorithm: algorithm,
            hasClientSecret: sealedSecret != nil,
            tokenIssuer: tokenIssuer,
            subjects: subjects,
            issuers: issuers,
            enabled: pick(change.enabled, current?.enabled, default: true) ?? true,
            allowHTTP: allowHTTP,
            postLogoutRedirectURIs: redirects,
            frontchannelLogoutURI: frontchannel,
            frontchannelLogoutSessionRequired: pick(
                change.frontchannelLogoutSessionRequired,
                current?.frontchannelLogoutSessionRequired,
                default: false
            ) ?? false,
            createdAt: current?.createdAt ?? timestamp,
            updatedAt: timestamp
        )
        return StoredRelyingParty(relyingParty: rp, sealedClientSecret: sealedSecret)
    }

    /// OUT-1: HS256 signs with the RP's client secret, sealed for this RP's row.
    private func sealedSecret(
        _ secret: String?,
        algorithm: SigningAlgorithm,
        clientID: String,
        existing: StoredRelyingParty?
    ) throws -> [UInt8]? {
        guard algorithm == .hs256 else {
            if secret != nil { throw AdminError.invalid("signing.client_secret is only used with alg HS256") }
            return nil
        }
        if let secret {
            try RegistrationRules.secret(secret, field: "signing.client_secret")
            return try context.secrets.seal(Array(secret.utf8), for: .relyingPartyClientSecret(clientID))
        }
        if let kept = existing?.sealedClientSecret { return kept }
        throw AdminError.invalid("HS256 signing needs signing.client_secret, the RP's client secret")
    }
}
