import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// Who may notify us (contract C4): registration rules, sealing of secrets, and keeping the
/// in-memory issuer directory and key cache in step with the store.
struct IssuerAdmin: Sendable {
    let context: AdminContext

    func create(_ registration: IssuerRegistration) async throws -> IssuerResource {
        try RegistrationRules.name(registration.name)
        // Event sources that are not issuers: an issuer by one of these names would be read as one.
        guard !["admin", "end-session", "frontchannel", "unknown"].contains(registration.name) else {
            throw AdminError.invalid("\(registration.name) names an event source of logoutd; choose another name")
        }
        try RegistrationRules.identifier(registration.issuer, field: "issuer", maximum: 1024)
        try RegistrationRules.identifier(registration.audience, field: "audience", maximum: 1024)
        let (keySource, sealedShared) = try keySource(registration)
        let trust: IssuerPolicy.Trust = keySource == .sharedSecret ? .sharedSecret : .keys
        let algorithms = try algorithms(registration.algorithms, trust: trust)
        for (field, value) in [
            ("end_session_endpoint", registration.endSessionEndpoint),
            ("revocation_endpoint", registration.revocationEndpoint),
        ] {
            if let value { try RegistrationRules.url(value, field: field, allowHTTP: context.allowPrivateNetworks) }
        }
        let issuer = Issuer(
            name: registration.name,
            issuer: registration.issuer,
            audience: registration.audience,
            keySource: keySource,
            algorithms: algorithms,
            typPolicy: registration.typPolicy ?? .default,
            requireExp: trust == .sharedSecret ? false : (registration.requireExp ?? true),
            endSessionEndpoint: registration.endSessionEndpoint,
            revocationEndpoint: registration.revocationEndpoint,
            clientID: registration.clientID,
            hasClientSecret: registration.clientSecret != nil,
            frontchannelIntake: registration.frontchannelIntake ?? false,
            createdAt: context.now()
        )
        try Self.checkFrontChannel(issuer)
        let stored = StoredIssuer(
            issuer: issuer,
            sealedSharedSecret: sealedShared,
            sealedClientSecret: try registration.clientSecret.map {
                try context.secrets.seal(Array($0.utf8), for: .issuerClientSecret(registration.name))
            }
        )
        try await context.storage { try await context.store.insertIssuer(stored) }
        try await context.directory.reload(from: context.store)
        context.logger.info(
            "issuer registered",
            metadata: ["issuer": "\(issuer.name)", "key_source": "\(trust.rawValue)"]
        )
        return IssuerResource(issuer)
    }

    /// Exactly one way to prove tokens: a JWKS URI, an inline JWKS, or a shared secret.
    private func keySource(_ registration: IssuerRegistration) throws -> (Issuer.KeySource, [UInt8]?) {
        let given = [registration.jwksURI != nil, registration.jwks != nil, registration.sharedSecret != nil]
        guard given.filter({ $0 }).count == 1 else {
            throw AdminError.invalid("give exactly one of jwks_uri, jwks or shared_secret")
        }
        if let uri = registration.jwksURI {
            try RegistrationRules.url(uri, field: "jwks_uri", allowHTTP: context.allowPrivateNetworks)
            return (.jwksURI(uri), nil)
        }
        if let document = registration.jwks {
            guard document.objectValue != nil else { throw AdminError.invalid("jwks must be a JWKS object") }
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
            return (.jwks(JSONSerializer.string(document)), nil)
        }
        let secret = registration.sharedSecret ?? ""
        try RegistrationRules.secret(secret, field: "shared_secret")
        let sealed = try context.secrets.seal(Array(secret.utf8), for: .issuerSharedSecret(registration.name))
        return (.sharedSecret, sealed)
    }

    private func algorithms(_ names: [String]?, trust: IssuerPolicy.Trust) throws -> [JWSAlgorithm] {
        let defaults = trust == .sharedSecret ? JWSAlgorithm.symmetricDefaults : JWSAlgorithm.asymmetricDefaults
        var algorithms = Set<JWSAlgorithm>()
        for name in names ?? defaults.map(\.rawValue) {
            guard let algorithm = JWSAlgorithm(rawValue: name) else {
                throw AdminError.invalid(
                    "algorithm \(name) is not supported; use \(JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            guard algorithm.isSymmetric == (trust == .sharedSecret) else {
                throw AdminError.invalid(
                    trust == .sharedSecret
                        ? "a shared-secret issuer signs with HS256, HS384 or HS512; \(name) is not allowed"
                        : "\(name) needs a shared secret; an issuer with keys may only use asymmetric algorithms"
                )
            }
            algorithms.insert(algorithm)
        }
        guard !algorithms.isEmpty else { throw AdminError.invalid("algorithms must not be empty") }
        return algorithms.sorted()
    }

    func list() async throws -> IssuerList {
        let (issuers, upstreams) = try await context.storage {
            (try await context.store.issuers(), try await context.store.upstreamStreams())
        }
        let streams = Dictionary(upstreams.map { ($0.issuerName, $0) }, uniquingKeysWith: { first, _ in first })
        return IssuerList(issuers: issuers.map { IssuerResource($0.issuer, upstream: streams[$0.issuer.name]) })
    }

    func get(named name: String) async throws -> IssuerResource {
        guard let stored = try await context.storage({ try await context.store.issuer(named: name) }) else {
            throw AdminError.notFound("no issuer named \(name)")
        }
        let upstream = try await context.storage { try await context.store.upstreamStream(issuer: name) }
        return IssuerResource(stored.issuer, upstream: upstream)
    }

    func update(named name: String, _ change: IssuerChange) async throws -> IssuerResource {
        guard var stored = try await context.storage({ try await context.store.issuer(named: name) }) else {
            throw AdminError.notFound("no issuer named \(name)")
        }
        for (field, value) in [
            ("end_session_endpoint", change.endSessionEndpoint.value),
            ("revocation_endpoint", change.revocationEndpoint.value),
        ] {
            if let value { try RegistrationRules.url(value, field: field, allowHTTP: context.allowPrivateNetworks) }
        }
        if !change.endSessionEndpoint.isAbsent { stored.issuer.endSessionEndpoint = change.endSessionEndpoint.value }
        if !change.revocationEndpoint.isAbsent { stored.issuer.revocationEndpoint = change.revocationEndpoint.value }
        if !change.clientID.isAbsent { stored.issuer.clientID = change.clientID.value }
        if !change.clientSecret.isAbsent {
            stored.sealedClientSecret = try change.clientSecret.value.map {
                try context.secrets.seal(Array($0.utf8), for: .issuerClientSecret(name))
            }
            stored.issuer.hasClientSecret = stored.sealedClientSecret != nil
        }
        if let intake = change.frontchannelIntake { stored.issuer.frontchannelIntake = intake }
        try Self.checkFrontChannel(stored.issuer)
        let upstream = try await upstreamChange(named: name, change)
        let updated = stored
        try await context.storage { try await context.store.replaceIssuer(updated) }
        try await context.directory.reload(from: context.store)
        if let (old, settings, sealedToken) = upstream {
            try await context.storage {
                try await context.store.configureUpstreamStream(
                    issuer: name,
                    settings: settings,
                    sealedToken: sealedToken,
                    now: context.now()
                )
            }
            // The stream we had there is no use once replaced or removed.
            if let old, settings == nil || settings != old.settings { await context.upstreams.retire(old) }
            context.wakers.upstreamStreams.signal()
        }
        context.logger.info("issuer changed", metadata: ["issuer": "\(name)"])
        return try await get(named: name)
    }

    /// FC-4: the bridge's page may only be framed by the OP's origin, so its `iss` (or its
    /// end-session endpoint) must be a URL that has one.
    static func checkFrontChannel(_ issuer: Issuer) throws {
        guard issuer.frontchannelIntake, FrontChannelNotice.frameAncestors(of: issuer).isEmpty else { return }
        throw AdminError.invalid(
            "frontchannel_intake needs an issuer whose iss or end_session_endpoint is an http(s) URL: its origin frames the answer"
        )
    }

    /// The `ssf_*` members checked: nil when none is given, else the stream as it was and its
    /// new settings (nil to remove it) and sealed token (nil to keep it).
    private func upstreamChange(
        named name: String,
        _ change: IssuerChange
    ) async throws -> (UpstreamStream?, UpstreamStream.Settings?, [UInt8]?)? {
        guard !change.ssfConfigurationURL.isAbsent || !change.ssfToken.isAbsent || !change.ssfDelivery.isAbsent else {
            return nil
        }
        let old = try await context.storage { try await context.store.upstreamStream(issuer: name) }
        if case .null = change.ssfConfigurationURL {
            guard change.ssfToken.isAbsent && change.ssfDelivery.isAbsent else {
                throw AdminError.invalid(
                    "ssf_configuration_url: null removes the stream; give no ssf_token or ssf_delivery with it"
                )
            }
            return (old, nil, nil)
        }
        if case .null = change.ssfToken {
            throw AdminError.invalid("ssf_token cannot be removed alone; set ssf_configuration_url to null")
        }
        if case .null = change.ssfDelivery { throw AdminError.invalid("ssf_delivery must be push or poll") }
        guard let url = change.ssfConfigurationURL.value ?? old?.settings.configurationURL else {
            throw AdminError.invalid("ssf_configuration_url is needed to set up a stream at the issuer's transmitter")
        }
        try RegistrationRules.url(url, field: "ssf_configuration_url", allowHTTP: context.allowPrivateNetworks)
        let delivery: SSFDeliveryMethod
        if let word = change.ssfDelivery.value {
            guard let method = SSFDeliveryMethod(name: word) else {
                throw AdminError.invalid("ssf_delivery must be push or poll")
            }
            delivery = method
        } else {
            delivery = old?.settings.delivery ?? .poll
        }
        if delivery == .push, context.ourIssuer.lowercased().hasPrefix("http://"), !context.allowPrivateNetworks {
            throw AdminError.invalid("push delivery needs our issuer URL to be https: the transmitter pushes to it")
        }
        var sealed: [UInt8]?
        if let token = change.ssfToken.value {
            // RFC 6750 §2.1's b64token: what an Authorization header carries as it is.
            let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/")
            let body = token.prefix { allowed.contains($0) }
            guard !body.isEmpty, token.utf8.count <= 4096, token.dropFirst(body.count).allSatisfy({ $0 == "=" })
            else {
                throw AdminError.invalid(
                    "ssf_token must be a bearer token of 1 to 4096 characters: letters, digits, -._~+/ and = at the end"
                )
            }
            sealed = try context.secrets.seal(Array(token.utf8), for: .upstreamToken(name))
        } else if old == nil {
            throw AdminError.invalid("ssf_token is needed to set up a stream at the issuer's transmitter")
        }
        return (old, UpstreamStream.Settings(configurationURL: url, delivery: delivery), sealed)
    }

    func delete(named name: String) async throws {
        let existing = try await get(named: name)
        if let upstream = try await context.storage({ try await context.store.upstreamStream(issuer: name) }) {
            await context.upstreams.retire(upstream)
        }
        defer { context.wakers.upstreamStreams.signal() }
        try await context.storage { try await context.store.deleteIssuer(named: name) }
        if let uri = existing.jwksURI { await context.keyCache.forget(uri) }
        try await context.directory.reload(from: context.store)
        context.logger.info("issuer removed", metadata: ["issuer": "\(name)"])
    }
}
