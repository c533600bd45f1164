import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// The revocations an accepted logout planned, in its own transaction. The sealed
    /// token is copied as it is: it stays bound to its session.
    static func insertRevocations(
        _ planned: [PlannedRevocation],
        eventID: Int64,
        nowMs: Int64,
        _ db: PostgresSession
    ) async throws {
        var previous: Int64?
        for revocation in planned {
            let type = revocation.tokenType
            let column = type == .refreshToken ? "s.refresh_token" : "s.access_token"
            let after = revocation.afterPrevious ? previous : nil
            previous = try await db.value(
                """
                INSERT INTO revocations (event_id, session_id, issuer_name, client_id, token_type, token, after_id,
                    status, created_at, next_attempt_at)
                SELECT \(eventID), s.id, s.issuer_name, s.client_id, \(type.rawValue), \(unescaped: column), \(after),
                    'pending', \(nowMs), \(nowMs)
                FROM sessions s WHERE s.id = \(revocation.sessionID)
                RETURNING id
                """,
                as: Int64.self
            )
        }
    }

    /// An access token whose session's refresh token is still being tried waits for it.
    static let notWaiting = """
        (r.after_id IS NULL OR NOT EXISTS (
            SELECT 1 FROM revocations p WHERE p.id = r.after_id AND p.status IN ('pending', 'retrying')))
        """

    /// Leases due revocations, issuer by issuer in the claim's round and within each issuer's
    /// slots (`SKIP LOCKED`: never one another replica holds).
    public func claimDueRevocations(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedRevocation] {
        guard request.limit > 0 else { return [] }
        let owner = self.owner
        return try await write { db in
            let (nowMs, leaseEnd) = (now.millisecondsSince1970, (now + request.lease).millisecondsSince1970)
            let issuers = try await db.rows(
                """
                SELECT DISTINCT r.issuer_name FROM revocations r
                WHERE r.status IN ('pending', 'retrying') AND r.next_attempt_at <= \(nowMs)
                    AND \(unescaped: Self.notWaiting)
                ORDER BY r.issuer_name
                """
            ).map { try $0.get("issuer_name", as: String.self) }
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
                let rows = try await db.rows(
                    """
                    WITH due AS (
                        SELECT r.id, r.next_attempt_at AS due_at FROM revocations r
                        WHERE r.issuer_name = \(issuer) AND r.status IN ('pending', 'retrying')
                            AND r.next_attempt_at <= \(nowMs) AND \(unescaped: Self.notWaiting)
                        ORDER BY r.next_attempt_at, r.id LIMIT \(Int64(slots.count))
                        FOR UPDATE OF r SKIP LOCKED)
                    UPDATE revocations r SET next_attempt_at = \(leaseEnd), lease_until = \(leaseEnd),
                        lease_owner = \(owner)
                    FROM due, issuers i
                    WHERE r.id = due.id AND i.name = r.issuer_name
                    RETURNING r.id, r.event_id, r.session_id, r.issuer_name, r.token_type, r.token, r.attempts,
                        r.created_at, due.due_at, r.lease_until, i.revocation_endpoint, i.client_id AS issuer_client_id,
                        i.client_secret, (SELECT e.trace_context FROM events e WHERE e.id = r.event_id) AS trace_context
                    """
                )
                claimed += try rows.sorted {
                    (try $0.get("due_at", as: Int64.self), try $0.get("id", as: Int64.self))
                        < (try $1.get("due_at", as: Int64.self), try $1.get("id", as: Int64.self))
                }.compactMap { row in
                    guard let type = RevocationTokenType(rawValue: try row.get("token_type")) else { return nil }
                    return ClaimedRevocation(
                        id: try row.get("id"),
                        eventID: try row.get("event_id"),
                        sessionID: try row.get("session_id"),
                        issuerName: try row.get("issuer_name"),
                        tokenType: type,
                        sealedToken: try row.bytes("token"),
                        endpoint: try row.get("revocation_endpoint"),
                        clientID: try row.get("issuer_client_id"),
                        sealedClientSecret: try row.bytes("client_secret"),
                        attempts: Int(try row.get("attempts", as: Int64.self)),
                        createdAt: try row.time("created_at"),
                        leaseStamp: try row.get("lease_until", as: Int64.self),
                        traceContext: try row.get("trace_context", as: String?.self).flatMap(TraceContext.init(stored:))
                    )
                }
            }
            return claimed
        }
    }

    /// Stores attempts' outcomes and ends their leases; a revoked token is erased in the same
    /// write. An outcome no longer under the lease it was attempted under (this replica stalled
    /// past it and another claimed the revocation since) is dropped and returned: the other
    /// replica's attempt decides. A lease is told by its owner and its end, which only a
    /// claim sets.
    @discardableResult
    public func recordRevocations(_ reports: [RevocationReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        let owner = self.owner
        return try await write { db in
            var dropped: [Int64] = []
            for report in reports {
                let t = report.transition
                let stored = try await db.count(
                    """
                    UPDATE revocations SET status = \(t.status.rawValue), attempts = \(Int64(t.attempts)),
                        next_attempt_at = \(t.nextAttemptAt?.millisecondsSince1970), lease_until = NULL,
                        lease_owner = NULL, finished_at = \(t.finishedAt?.millisecondsSince1970),
                        last_status_code = \(t.lastStatusCode.map(Int64.init)),
                        last_error = \(t.lastError.map { SafeText.truncated($0, limit: 1024) }),
                        reason = \(t.reason.map { SafeText.truncated($0, limit: 1024) }),
                        token = CASE WHEN \(t.eraseToken) THEN NULL ELSE token END
                    WHERE id = \(report.id) AND CASE WHEN \(report.leaseStamp)::BIGINT IS NULL
                        THEN lease_owner = \(owner) OR (lease_owner IS NULL AND status IN ('pending', 'retrying'))
                        ELSE lease_owner = \(owner) AND lease_until = \(report.leaseStamp) END
                    RETURNING 1
                    """
                )
                if stored == 0 { dropped.append(report.id) }
            }
            return dropped
        }
    }

    /// Gives this replica's leased revocations back to the queue, due at `now`.
    public func releaseRevocationLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        let owner = self.owner
        try await write { db in
            try await db.execute(
                """
                UPDATE revocations SET lease_until = NULL, lease_owner = NULL,
                    next_attempt_at = \(now.millisecondsSince1970)
                WHERE id = ANY(\(ids)) AND status IN ('pending', 'retrying') AND lease_owner = \(owner)
                """
            )
            try await Self.notifyQueue(db)
        }
    }

    public func boundRevocationDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "revocations", now: now, latest: latest)
    }

    public func nextRevocationDueAt() async throws -> Timestamp? {
        try await read { db in
            try await db.value(
                """
                SELECT r.next_attempt_at FROM revocations r
                WHERE r.status IN ('pending', 'retrying') AND \(unescaped: Self.notWaiting)
                ORDER BY r.next_attempt_at LIMIT 1
                """,
                as: Int64.self
            ).map(Timestamp.init(millisecondsSince1970:))
        }
    }

    public func revocations(_ query: RevocationQuery) async throws -> [RevocationRecord] {
        try await read { db in
            var conditions = PostgresConditions()
            if let status = query.status { conditions.add("status = ?", status.rawValue) }
            if let eventID = query.eventID { conditions.add("event_id = ?", eventID) }
            let limit = conditions.placeholder(for: query.limit)
            return try await db.rows(
                PostgresQuery(
                    unsafeSQL: """
                        SELECT id, event_id, session_id, issuer_name, client_id, token_type, status, attempts, created_at,
                            next_attempt_at, finished_at, last_status_code, last_error, reason, token IS NOT NULL AS stored
                        FROM revocations \(conditions.whereClause) ORDER BY id DESC LIMIT \(limit)
                        """,
                    binds: conditions.binds
                )
            ).compactMap { row in
                guard let type = RevocationTokenType(rawValue: try row.get("token_type")),
                    let status = RevocationStatus(rawValue: try row.get("status"))
                else { return nil }
                return RevocationRecord(
                    id: try row.get("id"),
                    eventID: try row.get("event_id"),
                    sessionID: try row.get("session_id"),
                    issuerName: try row.get("issuer_name"),
                    clientID: try row.get("client_id"),
                    tokenType: type,
                    status: status,
                    attempts: Int(try row.get("attempts", as: Int64.self)),
                    createdAt: try row.time("created_at"),
                    nextAttemptAt: try row.optionalTime("next_attempt_at"),
                    finishedAt: try row.optionalTime("finished_at"),
                    lastStatusCode: try row.get("last_status_code", as: Int64?.self).map(Int.init),
                    lastError: try row.get("last_error"),
                    reason: try row.get("reason"),
                    tokenStored: try row.get("stored")
                )
            }
        }
    }

    public func retryRevocation(id: Int64, now: Timestamp) async throws -> RetryOutcome {
        try await write { db in
            guard
                let status = try await db.value(
                    "SELECT status FROM revocations WHERE id = \(id) FOR UPDATE",
                    as: String.self
                )
            else { return .notFound }
            if status == RevocationStatus.revoked.rawValue { return .alreadyDelivered }
            if status == RevocationStatus.failed.rawValue {
                let nowMs = now.millisecondsSince1970
                try await db.execute(
                    """
                    UPDATE revocations SET status = 'pending', attempts = 0, created_at = \(nowMs), next_attempt_at = \(nowMs),
                        lease_until = NULL, lease_owner = NULL, finished_at = NULL, reason = NULL
                    WHERE id = \(id)
                    """
                )
            }
            return .queued
        }
    }
}
