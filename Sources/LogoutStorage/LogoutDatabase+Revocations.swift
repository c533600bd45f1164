import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// The revocations an accepted logout planned, in its own transaction, so an
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

    /// Leases due revocations, issuer by issuer in the claim's round and within each issuer's
    /// slots (the queue engine's caps apply to issuers as they do to RPs).
    public func claimDueRevocations(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedRevocation] {
        guard request.limit > 0 else { return [] }
        return try await committer.write(.redeliverable) { db in
            let (nowMs, leaseEnd) = (now.column, (now + request.lease).column)
            let issuers = try String.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT DISTINCT r.issuer_name FROM revocations r INDEXED BY revocations_next
                        WHERE r.status IN ('pending', 'retrying') AND r.next_attempt_at <= ? AND \(Self.notWaiting)
                        ORDER BY r.issuer_name
                        """
                ),
                arguments: [nowMs]
            )
            let select = try db.cachedStatement(
                sql: """
                    SELECT r.id, r.event_id, r.session_id, r.issuer_name, r.token_type, r.token, r.attempts,
                        r.created_at, i.revocation_endpoint, i.client_id, i.client_secret,
                        (SELECT e.trace_context FROM events e WHERE e.id = r.event_id) AS trace_context
                    FROM revocations r INDEXED BY revocations_next JOIN issuers i ON i.name = r.issuer_name
                    WHERE r.issuer_name = ? AND r.status IN ('pending', 'retrying') AND r.next_attempt_at <= ?
                        AND \(Self.notWaiting)
                    ORDER BY r.next_attempt_at, r.id LIMIT ?
                    """
            )
            let lease = try db.cachedStatement(
                sql: "UPDATE revocations SET next_attempt_at = ?, lease_until = ? WHERE id = ?"
            )
            var claimed: [ClaimedRevocation] = []
            for issuer in ClaimPlanner.round(issuers, rotation: request.rotation) {
                let remaining = request.limit - claimed.count
                guard remaining > 0 else { break }
                let slots = ClaimPlanner.slots(
                    for: issuer,
                    request,
                    remaining: remaining,
                    breaker: CircuitBreaker(),
                    now: now
                )
                guard slots.count > 0 else { continue }
                for row in try Row.fetchAll(select, arguments: [issuer, nowMs, slots.count]) {
                    guard let type = RevocationTokenType(rawValue: row["token_type"]) else { continue }
                    let id: Int64 = row["id"]
                    try lease.execute(arguments: [leaseEnd, leaseEnd, id])
                    claimed.append(
                        ClaimedRevocation(
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
                            createdAt: Timestamp(column: row["created_at"]),
                            traceContext: (row["trace_context"] as String?).flatMap(TraceContext.init(stored:))
                        )
                    )
                }
            }
            return claimed
        }
    }

    /// Stores attempts' outcomes and ends their leases; a revoked token is erased in the same write.
    /// One process owns this queue: no outcome is another's to drop.
    @discardableResult
    public func recordRevocations(_ reports: [RevocationReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        try await committer.write(.redeliverable) { db in
            let update = try db.cachedStatement(
                sql: """
                    UPDATE revocations SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = NULL,
                        finished_at = ?, last_status_code = ?, last_error = ?, reason = ?,
                        token = CASE WHEN ? THEN NULL ELSE token END
                    WHERE id = ?
                    """
            )
            for report in reports {
                let t = report.transition
                try update.execute(arguments: [
                    t.status.rawValue, t.attempts, t.nextAttemptAt?.column, t.finishedAt?.column, t.lastStatusCode,
                    t.lastError.map { SafeText.truncated($0, limit: 1024) },
                    t.reason.map { SafeText.truncated($0, limit: 1024) }, t.eraseToken, report.id,
                ])
            }
        }
        return []
    }

    /// Gives leased revocations back to the queue, due at `now` (graceful stop). Only
    /// what is still leased: an outcome stored first keeps its due time.
    public func releaseRevocationLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE revocations SET lease_until = NULL, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'retrying') AND lease_until IS NOT NULL
                    """
            )
            for id in ids { try statement.execute(arguments: [now.column, id]) }
        }
    }

    /// Due times further ahead than `latest` come from a wall clock that stepped back.
    public func boundRevocationDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "revocations", now: now, latest: latest)
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
