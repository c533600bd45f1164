import LogoutCore
import PostgresNIO

/// Registry writes are admin actions: rare, one short transaction each. Unique keys decide
/// between two replicas registering the same name or `iss` at once.
extension PostgresStore {
    /// The channel on which replicas hear that the issuers changed.
    static let registryChannel = "logoutd_registry"

    /// Tells every replica, once this transaction commits, to reload its issuers.
    static func notifyRegistry(_ db: PostgresSession) async throws {
        try await db.execute("SELECT pg_notify(\(registryChannel), '')")
    }

    public func insertIssuer(_ issuer: StoredIssuer) async throws {
        try await write { db in
            if try await db.value("SELECT 1::BIGINT FROM issuers WHERE name = \(issuer.issuer.name)", as: Int64.self)
                != nil
            {
                throw RegistryError.conflict("an issuer named \(issuer.issuer.name) already exists")
            }
            if let other = try await db.value(
                "SELECT name FROM issuers WHERE issuer = \(issuer.issuer.issuer)",
                as: String.self
            ) {
                throw RegistryError.conflict(
                    "the issuer \(other) is already registered with iss \(issuer.issuer.issuer); one iss, one registration"
                )
            }
            do {
                try await db.execute(PostgresRows.write(issuer, update: false))
            } catch  where Self.isUniqueViolation(error) {
                throw RegistryError.conflict(
                    "an issuer named \(issuer.issuer.name) or with its iss was registered meanwhile"
                )
            }
            try await Self.notifyRegistry(db)
        }
    }

    public func replaceIssuer(_ issuer: StoredIssuer) async throws {
        try await write { db in
            do {
                guard try await db.count(PostgresRows.write(issuer, update: true)) > 0 else {
                    throw RegistryError.notFound("no issuer named \(issuer.issuer.name)")
                }
            } catch  where Self.isUniqueViolation(error) {
                throw RegistryError.conflict("another issuer is registered with iss \(issuer.issuer.issuer)")
            }
            try await Self.notifyRegistry(db)
        }
    }

    /// Always empty here: `iss` is unique in this schema. Kept for the embedded store's older files.
    public func issuersSharingAnIss() async throws -> [[String]] {
        try await read { db in
            try await db.rows(
                "SELECT string_agg(name, ' ' ORDER BY name) AS names FROM issuers GROUP BY issuer HAVING count(*) > 1"
            ).map { try $0.get("names", as: String.self).split(separator: " ").map(String.init) }
        }
    }

    public func issuers() async throws -> [StoredIssuer] {
        try await read { db in try await db.rows("SELECT * FROM issuers ORDER BY name").map(PostgresRows.issuer) }
    }

    public func issuer(named name: String) async throws -> StoredIssuer? {
        try await read { db in try await db.row("SELECT * FROM issuers WHERE name = \(name)").map(PostgresRows.issuer) }
    }

    public func deleteIssuer(named name: String) async throws {
        try await write { db in
            guard try await db.count("DELETE FROM issuers WHERE name = \(name) RETURNING 1") > 0 else {
                throw RegistryError.notFound("no issuer named \(name)")
            }
            try await Self.notifyRegistry(db)
        }
    }

    public func insertRelyingParty(_ rp: StoredRelyingParty) async throws {
        try await write { db in
            do {
                try await db.execute(PostgresRows.write(rp, update: false))
            } catch  where Self.isUniqueViolation(error) {
                throw RegistryError.conflict("an RP with client_id \(rp.relyingParty.clientID) already exists")
            }
        }
    }

    public func replaceRelyingParty(_ rp: StoredRelyingParty) async throws {
        try await write { db in
            guard try await db.count(PostgresRows.write(rp, update: true)) > 0 else {
                throw RegistryError.notFound("no RP with client_id \(rp.relyingParty.clientID)")
            }
        }
    }

    public func relyingParties() async throws -> [StoredRelyingParty] {
        try await read { db in
            try await db.rows("\(unescaped: PostgresRows.selectRelyingParties) ORDER BY r.client_id")
                .map(PostgresRows.relyingParty)
        }
    }

    public func relyingParty(clientID: String) async throws -> StoredRelyingParty? {
        try await read { db in
            try await db.row("\(unescaped: PostgresRows.selectRelyingParties) WHERE r.client_id = \(clientID)")
                .map(PostgresRows.relyingParty)
        }
    }

    /// Removes an RP and its sessions; its unfinished deliveries end `failed`.
    public func deleteRelyingParty(clientID: String) async throws {
        try await write { db in
            guard try await db.count("DELETE FROM relying_parties WHERE client_id = \(clientID) RETURNING 1") > 0 else {
                throw RegistryError.notFound("no RP with client_id \(clientID)")
            }
            try await db.execute(
                """
                UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_until = NULL, lease_owner = NULL,
                    reason = 'the RP was removed', finished_at = (extract(epoch from clock_timestamp()) * 1000)::BIGINT
                WHERE client_id = \(clientID) AND status IN ('pending', 'retrying')
                """
            )
        }
    }

    public func insertSession(_ session: NewSession, now: Timestamp) async throws -> Session {
        try await write { db in
            guard
                try await db.value(
                    "SELECT 1::BIGINT FROM relying_parties WHERE client_id = \(session.clientID) FOR KEY SHARE",
                    as: Int64.self
                ) != nil
            else {
                throw RegistryError.notFound("no RP with client_id \(session.clientID)")
            }
            guard
                let iss = try await db.value(
                    "SELECT issuer FROM issuers WHERE name = \(session.issuerName) FOR KEY SHARE",
                    as: String.self
                )
            else {
                throw RegistryError.notFound("no issuer named \(session.issuerName)")
            }
            guard
                let id = try await db.value(
                    """
                    INSERT INTO sessions (issuer_name, sub, sid, client_id, rp_sub, rp_sid, created_at, expires_at)
                    VALUES (\(session.issuerName), \(session.sub), \(session.sid), \(session.clientID), \(session.rpSub),
                        \(session.rpSid), \(now.millisecondsSince1970), \(session.expiresAt?.millisecondsSince1970))
                    RETURNING id
                    """,
                    as: Int64.self
                )
            else { throw Failure(description: "an inserted session returned no id") }
            if let sealTokens = session.sealTokens {
                let tokens = try sealTokens(id)
                try await db.execute(
                    """
                    UPDATE sessions SET id_token = \(tokens.idToken.map { ByteBuffer(bytes: $0) }),
                        access_token = \(tokens.accessToken.map { ByteBuffer(bytes: $0) }),
                        refresh_token = \(tokens.refreshToken.map { ByteBuffer(bytes: $0) })
                    WHERE id = \(id)
                    """
                )
            }
            return Session(
                id: id,
                issuerName: session.issuerName,
                issuer: iss,
                sub: session.sub,
                sid: session.sid,
                clientID: session.clientID,
                rpSub: session.rpSub,
                rpSid: session.rpSid,
                createdAt: now,
                expiresAt: session.expiresAt
            )
        }
    }

    public func sessions(_ query: SessionQuery) async throws -> [Session] {
        try await read { db in
            var conditions = PostgresConditions()
            // A set of names rather than an OR across the join: the session indexes lead with it.
            if let issuer = query.issuer {
                conditions.add(
                    "s.issuer_name IN (SELECT name FROM issuers WHERE name = ? OR issuer = ?)",
                    issuer,
                    issuer
                )
            }
            if let sub = query.sub { conditions.add("s.sub = ?", sub) }
            if let sid = query.sid { conditions.add("s.sid = ?", sid) }
            if let clientID = query.clientID { conditions.add("s.client_id = ?", clientID) }
            if !query.includeEnded { conditions.add("s.ended_at IS NULL") }
            let limit = conditions.placeholder(for: query.limit)
            return try await db.rows(
                PostgresQuery(
                    unsafeSQL: "\(Self.selectSessions) \(conditions.whereClause) ORDER BY s.id DESC LIMIT \(limit)",
                    binds: conditions.binds
                )
            ).map(Self.session)
        }
    }

    public func deleteSession(id: Int64) async throws {
        try await write { db in
            guard try await db.count("DELETE FROM sessions WHERE id = \(id) RETURNING 1") > 0 else {
                throw RegistryError.notFound("no session with id \(id)")
            }
        }
    }
}
