import Foundation
import GRDB
import LogoutCore

/// Registry writes are admin actions: rare, so they use plain transactions, not the committer.
extension LogoutDatabase {
    public enum RegistryError: Error, Equatable {
        case conflict(String)
        case notFound(String)
    }

    // MARK: Issuers

    public func insertIssuer(_ issuer: StoredIssuer) async throws {
        try await pool.write { db in
            if try StoredIssuer.exists(db, key: issuer.issuer.name) {
                throw RegistryError.conflict("an issuer named \(issuer.issuer.name) already exists")
            }
            try issuer.insert(db)
        }
    }

    public func issuers() async throws -> [StoredIssuer] {
        try await pool.read { db in try StoredIssuer.order(Column("name")).fetchAll(db) }
    }

    public func issuer(named name: String) async throws -> StoredIssuer? {
        try await pool.read { db in try StoredIssuer.fetchOne(db, key: name) }
    }

    public func deleteIssuer(named name: String) async throws {
        try await pool.write { db in
            guard try StoredIssuer.deleteOne(db, key: name) else {
                throw RegistryError.notFound("no issuer named \(name)")
            }
        }
    }

    // MARK: Relying parties

    public func insertRelyingParty(_ rp: StoredRelyingParty) async throws {
        try await pool.write { db in
            if try StoredRelyingParty.exists(db, key: rp.relyingParty.clientID) {
                throw RegistryError.conflict("an RP with client_id \(rp.relyingParty.clientID) already exists")
            }
            try rp.insert(db)
        }
    }

    public func updateRelyingParty(
        clientID: String,
        _ change: @escaping @Sendable (inout StoredRelyingParty) throws -> Void
    ) async throws -> StoredRelyingParty {
        try await pool.write { db in
            guard var stored = try StoredRelyingParty.fetchOne(db, key: clientID) else {
                throw RegistryError.notFound("no RP with client_id \(clientID)")
            }
            try change(&stored)
            stored.relyingParty.clientID = clientID
            try stored.update(db)
            return stored
        }
    }

    public func relyingParties() async throws -> [StoredRelyingParty] {
        try await pool.read { db in try StoredRelyingParty.order(Column("client_id")).fetchAll(db) }
    }

    public func relyingParty(clientID: String) async throws -> StoredRelyingParty? {
        try await pool.read { db in try StoredRelyingParty.fetchOne(db, key: clientID) }
    }

    /// Removes an RP and its sessions; its unfinished deliveries end `failed`, so none is left
    /// waiting for an RP that no longer exists.
    public func deleteRelyingParty(clientID: String, now: Date) async throws {
        try await pool.write { db in
            guard try StoredRelyingParty.deleteOne(db, key: clientID) else {
                throw RegistryError.notFound("no RP with client_id \(clientID)")
            }
            try db.execute(
                sql: """
                    UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_until = NULL,
                        reason = 'the RP was removed'
                    WHERE client_id = ? AND status IN ('pending', 'retrying')
                    """,
                arguments: [clientID]
            )
        }
    }

    // MARK: Sessions

    public func insertSession(_ session: NewSession, now: Date) async throws -> Session {
        try await pool.write { db in
            guard try StoredRelyingParty.exists(db, key: session.clientID) else {
                throw RegistryError.notFound("no RP with client_id \(session.clientID)")
            }
            try db.execute(
                sql: """
                    INSERT INTO sessions (issuer, sub, sid, client_id, rp_sub, rp_sid, created_at, expires_at,
                        id_token, access_token, refresh_token)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.issuer, session.sub, session.sid, session.clientID, session.rpSub, session.rpSid,
                    now.milliseconds, session.expiresAt?.milliseconds, session.sealedIDToken.map { Data($0) },
                    session.sealedAccessToken.map { Data($0) }, session.sealedRefreshToken.map { Data($0) },
                ]
            )
            return Session(
                id: db.lastInsertedRowID,
                issuer: session.issuer,
                sub: session.sub,
                sid: session.sid,
                clientID: session.clientID,
                rpSub: session.rpSub,
                rpSid: session.rpSid,
                createdAt: Date(milliseconds: now.milliseconds),
                expiresAt: session.expiresAt.map { Date(milliseconds: $0.milliseconds) }
            )
        }
    }

    public func sessions(_ filter: SessionFilter) async throws -> [Session] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let issuer = filter.issuer {
                conditions.append("issuer = ?")
                _ = arguments.append(contentsOf: [issuer])
            }
            if let sub = filter.sub {
                conditions.append("sub = ?")
                _ = arguments.append(contentsOf: [sub])
            }
            if let clientID = filter.clientID {
                conditions.append("client_id = ?")
                _ = arguments.append(contentsOf: [clientID])
            }
            if !filter.includeEnded { conditions.append("ended_at IS NULL") }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [filter.limit])
            return try Row.fetchAll(
                db,
                sql: "SELECT \(Session.columns) FROM sessions \(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            ).map(Session.init(row:))
        }
    }

    public func deleteSession(id: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw RegistryError.notFound("no session with id \(id)") }
        }
    }
}
