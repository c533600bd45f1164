import Foundation
import GRDB
import LogoutCore

/// Registry writes are admin actions: rare, so they use plain transactions, not the committer.
extension LogoutDatabase {
    // MARK: Issuers

    /// One `iss`, one registration: a second registration of the same `iss` would make
    /// the first issuer's tokens ambiguous on the shared route, and would let whoever holds the
    /// second one's credentials speak for the first on its own route.
    public func insertIssuer(_ issuer: StoredIssuer) async throws {
        try await pool.write { db in
            if try IssuerRow.exists(db, key: issuer.issuer.name) {
                throw RegistryError.conflict("an issuer named \(issuer.issuer.name) already exists")
            }
            if let other = try String.fetchOne(
                db,
                sql: "SELECT name FROM issuers WHERE issuer = ?",
                arguments: [issuer.issuer.issuer]
            ) {
                throw RegistryError.conflict(
                    "the issuer \(other) is already registered with iss \(issuer.issuer.issuer); one iss, one registration"
                )
            }
            try IssuerRow(issuer).insert(db)
        }
    }

    public func replaceIssuer(_ issuer: StoredIssuer) async throws {
        try await pool.write { db in
            guard try IssuerRow.exists(db, key: issuer.issuer.name) else {
                throw RegistryError.notFound("no issuer named \(issuer.issuer.name)")
            }
            try IssuerRow(issuer).update(db)
        }
    }

    public func issuersSharingAnIss() async throws -> [[String]] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT group_concat(name, ' ') FROM issuers GROUP BY issuer HAVING count(*) > 1"
            ).map { $0.split(separator: " ").map(String.init).sorted() }
        }
    }

    public func issuers() async throws -> [StoredIssuer] {
        try await pool.read { db in try IssuerRow.order(Column("name")).fetchAll(db).map(\.value) }
    }

    public func issuer(named name: String) async throws -> StoredIssuer? {
        try await pool.read { db in try IssuerRow.fetchOne(db, key: name)?.value }
    }

    /// Its sessions go first, in turns (`deleteSessionsInTurns`); what cascades with the row is
    /// what is left.
    public func deleteIssuer(named name: String) async throws {
        guard try await pool.read({ db in try IssuerRow.exists(db, key: name) }) else {
            throw RegistryError.notFound("no issuer named \(name)")
        }
        try await deleteSessionsInTurns(of: "issuer_name", name)
        try await pool.write { db in
            guard try IssuerRow.deleteOne(db, key: name) else {
                throw RegistryError.notFound("no issuer named \(name)")
            }
        }
    }

    // MARK: Relying parties

    public func insertRelyingParty(_ rp: StoredRelyingParty) async throws {
        try await pool.write { db in
            if try RelyingPartyRow.exists(db, key: rp.relyingParty.clientID) {
                throw RegistryError.conflict("an RP with client_id \(rp.relyingParty.clientID) already exists")
            }
            try RelyingPartyRow(rp).insert(db)
        }
    }

    public func replaceRelyingParty(_ rp: StoredRelyingParty) async throws {
        try await pool.write { db in
            guard try RelyingPartyRow.exists(db, key: rp.relyingParty.clientID) else {
                throw RegistryError.notFound("no RP with client_id \(rp.relyingParty.clientID)")
            }
            try RelyingPartyRow(rp).update(db)
        }
    }

    public func relyingParties() async throws -> [StoredRelyingParty] {
        try await pool.read { db in
            try RelyingPartyRow.fetchAll(db, sql: CircuitBreaker.selectRelyingParties + " ORDER BY r.client_id")
                .map(\.value)
        }
    }

    public func relyingParty(clientID: String) async throws -> StoredRelyingParty? {
        try await pool.read { db in
            try RelyingPartyRow.fetchOne(
                db,
                sql: CircuitBreaker.selectRelyingParties + " WHERE r.client_id = ?",
                arguments: [clientID]
            )?.value
        }
    }

    /// Removes an RP and its sessions; its unfinished deliveries end `failed`, so none is left
    /// waiting for an RP that no longer exists. Both first in turns of the writer (an RP may hold
    /// millions of sessions, and hundreds of thousands of deliveries after an outage), then the
    /// row with what was added meanwhile, in one transaction.
    public func deleteRelyingParty(clientID: String) async throws {
        // An unknown RP is refused before any turn: a 404 changes nothing.
        guard try await pool.read({ db in try RelyingPartyRow.exists(db, key: clientID) }) else {
            throw RegistryError.notFound("no RP with client_id \(clientID)")
        }
        try await deleteSessionsInTurns(of: "client_id", clientID)
        _ = try await updateInTurns(
            clientID: clientID,
            [.pending, .retrying],
            condition: "1",
            [],
            set: """
                status = 'failed', next_attempt_at = NULL, lease_until = NULL, reason = 'the RP was removed',
                finished_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
                """,
            []
        )
        try await pool.write { db in
            guard try RelyingPartyRow.deleteOne(db, key: clientID) else {
                throw RegistryError.notFound("no RP with client_id \(clientID)")
            }
            try self.withAllFanOutPlansExpanded(db) {
                try db.execute(
                    sql: """
                        UPDATE deliveries SET status = 'failed', next_attempt_at = NULL, lease_until = NULL,
                            reason = 'the RP was removed',
                            finished_at = CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)
                        WHERE client_id = ? AND status IN ('pending', 'retrying')
                        """,
                    arguments: [clientID]
                )
            }
        }
    }

    // MARK: Sessions

    public func insertSession(_ session: NewSession, now: Timestamp) async throws -> Session {
        try await pool.write { db in
            guard try RelyingPartyRow.exists(db, key: session.clientID) else {
                throw RegistryError.notFound("no RP with client_id \(session.clientID)")
            }
            guard
                let iss = try String.fetchOne(
                    db,
                    sql: "SELECT issuer FROM issuers WHERE name = ?",
                    arguments: [session.issuerName]
                )
            else {
                throw RegistryError.notFound("no issuer named \(session.issuerName)")
            }
            try db.execute(
                sql: """
                    INSERT INTO sessions (issuer_name, sub, sid, client_id, rp_sub, rp_sid, created_at, expires_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    session.issuerName, session.sub, session.sid, session.clientID, session.rpSub, session.rpSid,
                    now.column, session.expiresAt?.column,
                ]
            )
            let id = db.lastInsertedRowID
            if let sealTokens = session.sealTokens {
                let tokens = try sealTokens(id)
                try db.execute(
                    sql: "UPDATE sessions SET id_token = ?, access_token = ?, refresh_token = ? WHERE id = ?",
                    arguments: [
                        tokens.idToken.map { Data($0) }, tokens.accessToken.map { Data($0) },
                        tokens.refreshToken.map { Data($0) }, id,
                    ]
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
        try await pool.read { db in
            var conditions = Conditions()
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
            return try Row.fetchAll(
                db,
                sql: "\(Session.select) \(conditions.whereClause) ORDER BY s.id DESC LIMIT ?",
                arguments: conditions.arguments(appending: query.limit)
            ).map(Session.init(row:))
        }
    }

    public func deleteSession(id: Int64) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM sessions WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { throw RegistryError.notFound("no session with id \(id)") }
        }
    }

    /// Deletes the sessions whose `column` is `value`, in the purge's turns: deleting an issuer's
    /// or an RP's row cascades to all its sessions in one statement, which held the single writer
    /// (and every acknowledgement) about 6 µs a session (200,000: 1.2 s). Unflushed, like the
    /// purge: the row's own commit, after them, is fsync'd, and makes the log written before it
    /// durable too.
    private func deleteSessionsInTurns(of column: String, _ value: String) async throws {
        _ = try await deleteInTurns(
            "DELETE FROM sessions WHERE id IN (SELECT id FROM sessions WHERE \(column) = ? LIMIT ?)",
            value,
            batch: 250
        )
    }
}
