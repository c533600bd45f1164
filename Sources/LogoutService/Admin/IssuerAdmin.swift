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
            createdAt: context.now()
        )
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
        IssuerList(
            issuers: try await context.storage { try await context.store.issuers() }.map { IssuerResource($0.issuer) }
        )
    }

    func get(named name: String) async throws -> IssuerResource {
        guard let stored = try await context.storage({ try await context.store.issuer(named: name) }) else {
            throw AdminError.notFound("no issuer named \(name)")
        }
        return IssuerResource(stored.issuer)
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
        let updated = stored
        try await context.storage { try await context.store.replaceIssuer(updated) }
        try await context.directory.reload(from: context.store)
        context.logger.info("issuer changed", metadata: ["issuer": "\(name)"])
        return IssuerResource(updated.issuer)
    }

    func delete(named name: String) async throws {
        let existing = try await get(named: name)
        try await context.storage { try await context.store.deleteIssuer(named: name) }
        if let uri = existing.jwksURI { await context.keyCache.forget(uri) }
        try await context.directory.reload(from: context.store)
        context.logger.info("issuer removed", metadata: ["issuer": "\(name)"])
    }
}
