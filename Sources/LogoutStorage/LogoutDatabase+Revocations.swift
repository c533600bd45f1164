import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// The revocations an accepted logout planned (BR-8), in its own transaction, so an
    /// acknowledged logout never loses them. The sealed token is copied as it is: it stays bound
    /// to its session.
    static func insertRevocations(_ planned: [PlannedRevocation], eventID: Int64, nowMs: Int64, db: Database) throws {
        guard !planned.isEmpty else { return }
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO revocations (event_id, session_id, issuer_name, client_id, token_type, token, after_id,
                    status, created_at, next_attempt_at)
                SELECT ?, s.id, s.issuer_name, s.client_id, ?, CASE ? WHEN 'refresh_token' THEN s.refresh_token
                        ELSE s.access_token END, ?, 'pending', ?, ?
                FROM sessions s WHERE s.id = ?
                """
        )
        var previous: Int64?
        for revocation in planned {
            let type = revocation.tokenType.rawValue
            try insert.execute(arguments: [
                eventID, type, type, revocation.afterPrevious ? previous : nil, nowMs, nowMs, revocation.sessionID,
            ])
            previous = db.lastInsertedRowID
        }
    }

    /// Leases up to `limit` due revocations. An access token waits while the refresh token of its
    /// session is still being tried.
    public func claimDueRevocations(
        limit: Int,
        lease: Duration,
        now: Timestamp
    ) async throws
        -> [ClaimedRevocation]
    {
        guard limit > 0 else { return [] }
        return try await committer.write { db in
            let leaseEnd = (now + lease).column
            let rows = try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.id, r.event_id, r.session_id, r.issuer_name, r.token_type, r.token, r.attempts,
                            r.created_at, i.revocation_endpoint, i.client_id, i.client_secret
                        FROM revocations r INDEXED BY revocations_next JOIN issuers i ON i.name = r.issuer_name
                        WHERE r.status IN ('pending', 'retrying') AND r.next_attempt_at <= ?
                            AND \(Self.notWaiting)
                        ORDER BY r.next_attempt_at, r.id LIMIT ?
                        """
                ),
                arguments: [now.column, limit]
            )
            let leaseStatement = try db.cachedStatement(
                sql: "UPDATE revocations SET next_attempt_at = ?, lease_until = ? WHERE id = ?"
            )
            return try rows.compactMap { row in
                guard let type = RevocationTokenType(rawValue: row["token_type"]) else { return nil }
                let id: Int64 = row["id"]
                try leaseStatement.execute(arguments: [leaseEnd, leaseEnd, id])
                return ClaimedRevocation(
                    id: id,
                    eventID: row["event_id"],
                    sessionID: row["session_id"],
                    issuerName: row["issuer_name"],
                    tokenType: type,
                    sealedToken: (row["token"] as Data?).map { [UInt8]($0) },
                    endpoint: row["revocation_endpoint"],
                    clientID: row["client_id"],
                    sealedClientSecret: (row["client_secret"] as Data?).map { [UInt8]($0) },
                    attempts: row["attempts"],
                    createdAt: Timestamp(column: row["created_at"])
                )
            }
        }
    }

    /// Stores an attempt's outcome and ends the lease; a revoked token is erased in the same write.
    public func recordRevocation(id: Int64, _ t: RevocationTransition) async throws {
        try await committer.write { db in
            try db.cachedStatement(
                sql: """
                    UPDATE revocations SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = NULL,
                        finished_at = ?, last_status_code = ?, last_error = ?, reason = ?,
                        token = CASE WHEN ? THEN NULL ELSE token END
                    WHERE id = ?
                    """
            ).execute(arguments: [
                t.status.rawValue, t.attempts, t.nextAttemptAt?.column, t.finishedAt?.column, t.lastStatusCode,
                t.lastError.map { SafeText.truncated($0, limit: 1024) },
                t.reason.map { SafeText.truncated($0, limit: 1024) }, t.eraseToken, id,
            ])
        }
    }

    /// An access token whose session's refresh token is still being tried waits for it; its own
    /// due time means nothing until then (else the worker would wake for it in a loop).
    static let notWaiting = """
        (r.after_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM revocations p WHERE p.id = r.after_id AND p.status IN ('pending', 'retrying')))
        """

    /// The earliest due time of a waiting revocation, leased ones included, blocked ones not.
    public func nextRevocationDueAt() async throws -> Timestamp? {
        try await pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT r.next_attempt_at FROM revocations r INDEXED BY revocations_next
                        WHERE r.status IN ('pending', 'retrying') AND \(Self.notWaiting)
                        ORDER BY r.next_attempt_at LIMIT 1
                        """
                )
            ).timestamp
        }
    }

    public func revocations(_ query: RevocationQuery) async throws -> [RevocationRecord] {
        try await pool.read { db in
            var conditions = Conditions()
            if let status = query.status { conditions.add("status = ?", status.rawValue) }
            if let eventID = query.eventID { conditions.add("event_id = ?", eventID) }
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT id, event_id, session_id, issuer_name, client_id, token_type, status, attempts, created_at,
                        next_attempt_at, finished_at, last_status_code, last_error, reason, token IS NOT NULL AS stored
                    FROM revocations \(conditions.whereClause) ORDER BY id DESC LIMIT ?
                    """,
                arguments: conditions.arguments(appending: query.limit)
            ).compactMap { row in
                guard let type = RevocationTokenType(rawValue: row["token_type"]),
                    let status = RevocationStatus(rawValue: row["status"])
                else { return nil }
                return RevocationRecord(
                    id: row["id"],
                    eventID: row["event_id"],
                    sessionID: row["session_id"],
                    issuerName: row["issuer_name"],
                    clientID: row["client_id"],
                    tokenType: type,
                    status: status,
                    attempts: row["attempts"],
                    createdAt: Timestamp(column: row["created_at"]),
                    nextAttemptAt: (row["next_attempt_at"] as Int64?).timestamp,
                    finishedAt: (row["finished_at"] as Int64?).timestamp,
                    lastStatusCode: row["last_status_code"],
                    lastError: row["last_error"],
                    reason: row["reason"],
                    tokenStored: row["stored"]
                )
            }
        }
    }

    /// Queues a failed revocation again, its retry window starting over (once an admin fixed the
    /// issuer's endpoint or client credentials).
    public func retryRevocation(id: Int64, now: Timestamp) async throws -> RetryOutcome {
        try await committer.write { db in
            guard
                let status = try String.fetchOne(
                    db,
                    sql: "SELECT status FROM revocations WHERE id = ?",
                    arguments: [id]
                )
            else { return .notFound }
            if status == RevocationStatus.revoked.rawValue { return .alreadyDelivered }
            if status == RevocationStatus.failed.rawValue {
                try db.execute(
                    sql: """
                        UPDATE revocations SET status = 'pending', attempts = 0, created_at = ?, next_attempt_at = ?,
                            lease_until = NULL, finished_at = NULL, reason = NULL
                        WHERE id = ?
                        """,
                    arguments: [now.column, now.column, id]
                )
            }
            return .queued
        }
    }
}
