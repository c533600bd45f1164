import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// The registry of sessions (RES-1): each belongs to a registered issuer (SEC-5).
struct SessionAdmin: Sendable {
    let context: AdminContext
    let relyingParties: RelyingPartyAdmin

    func create(_ registration: SessionRegistration) async throws -> SessionResource {
        try RegistrationRules.identifier(registration.issuer, field: "issuer", maximum: 1024)
        for (field, value) in [
            ("sub", registration.sub), ("sid", registration.sid), ("rp_sub", registration.rpSub),
            ("rp_sid", registration.rpSid.value), ("client_id", registration.clientID),
        ] {
            if let value { try RegistrationRules.identifier(value, field: field, maximum: 1024) }
        }
        if let expiresAt = registration.expiresAt, expiresAt <= context.now() {
            throw AdminError.invalid("expires_at is in the past")
        }
        guard let issuer = context.directory.registered(registration.issuer) else {
            throw AdminError.invalid(
                "issuer \(quoted(registration.issuer)) is not the iss (or name) of a registered issuer"
            )
        }
        let rp: RelyingParty
        do {
            rp = try await relyingParties.get(clientID: registration.clientID)
        } catch let error as AdminError where error.kind == .notFound {
            throw AdminError.invalid("client_id \(quoted(registration.clientID)) is not a registered RP")
        }
        let session = NewSession(
            issuerName: issuer.name,
            sub: registration.sub,
            sid: registration.sid,
            clientID: registration.clientID,
            rpSub: registration.rpSub ?? registration.sub,
            rpSid: SessionDefaults.rpSid(
                registered: registration.rpSid.value,
                registeredAsNone: registration.rpSid == .null,
                sid: registration.sid,
                sessionIssuer: issuer.issuer,
                rpTokenIssuer: rp.tokenIssuer ?? context.ourIssuer
            ),
            expiresAt: registration.expiresAt,
            sealTokens: tokenSealer(registration)
        )
        do {
            return SessionResource(
                try await context.storage { try await context.store.insertSession(session, now: context.now()) }
            )
        } catch let error as AdminError where error.kind == .notFound {
            throw AdminError.invalid(error.description)
        }
    }

    /// Seals a session's upstream tokens bound to its row, once storage knows the row's id.
    private func tokenSealer(_ registration: SessionRegistration) -> (@Sendable (Int64) throws -> SealedSessionTokens)?
    {
        let tokens: [(column: String, value: String?)] = [
            ("id_token", registration.idToken), ("access_token", registration.accessToken),
            ("refresh_token", registration.refreshToken),
        ]
        guard tokens.contains(where: { $0.value != nil }) else { return nil }
        let secrets = context.secrets
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

    func list(_ query: SessionQuery) async throws -> SessionList {
        SessionList(
            sessions: try await context.storage { try await context.store.sessions(query) }.map(SessionResource.init)
        )
    }

    func delete(id: Int64) async throws {
        try await context.storage { try await context.store.deleteSession(id: id) }
    }
}
