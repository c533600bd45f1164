import LogoutCore
import PostgresNIO

/// The SETs of push streams as a queue of the one engine, shared by replicas: claims
/// skip the rows another replica locks, and leases name their owner.
extension PostgresStore {
    /// Enabled push streams (the method read from the configuration the core wrote, so a stream
    /// switched between poll and push moves its waiting SETs with it). Claims start from these
    /// few rows and reach each stream's due SETs through `ssf_events_due` (stream, due time):
    /// the SETs waiting for poll receivers are never read.
    static let isPushStream = """
        s.status = 'enabled'
            AND (s.configuration::jsonb #>> '{delivery,method}') = '\(SSFDeliveryMethod.push.rawValue)'
        """

    public func claimDueSecurityEvents(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedSecurityEvent] {
        guard request.limit > 0 else { return [] }
        let owner = self.owner
        return try await write { db in
            let (nowMs, leaseEnd) = (now.millisecondsSince1970, (now + request.lease).millisecondsSince1970)
            let streams = try await db.rows(
                """
                SELECT s.id FROM ssf_streams s WHERE \(unescaped: Self.isPushStream) AND EXISTS (
                    SELECT 1 FROM ssf_events e
                    WHERE e.stream_id = s.id AND e.status = 'pending' AND e.next_attempt_at <= \(nowMs))
                """
            ).map { try $0.get("id", as: String.self) }.sorted()
            var claimed: [ClaimedSecurityEvent] = []
            for stream in ClaimPlanner.round(streams, rotation: request.rotation) {
                let remaining = request.limit - claimed.count
                guard remaining > 0 else { break }
                // The stream's row, locked: its breaker's single probe holds across replicas.
                guard
                    let locked = try await db.row(
                        """
                        SELECT s.id, \(unescaped: PostgresRows.breakerColumns)
                        FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id
                        WHERE s.id = \(stream) FOR NO KEY UPDATE OF s SKIP LOCKED
                        """
                    )
                else { continue }
                let breaker = try PostgresRows.breaker(locked)
                let slots = ClaimPlanner.slots(for: stream, request, remaining: remaining, breaker: breaker, now: now)
                guard slots.count > 0 else { continue }
                let before = claimed.count
                let rows = try await db.rows(
                    """
                    WITH due AS (
                        SELECT e.id, e.next_attempt_at AS due_at FROM ssf_events e
                        WHERE e.stream_id = \(stream) AND e.status = 'pending' AND e.next_attempt_at <= \(nowMs)
                        ORDER BY e.next_attempt_at, e.id LIMIT \(Int64(slots.count))
                        FOR UPDATE OF e SKIP LOCKED)
                    UPDATE ssf_events e SET next_attempt_at = \(leaseEnd), lease_until = \(leaseEnd),
                        lease_owner = \(owner)
                    FROM due, ssf_streams s
                    WHERE e.id = due.id AND s.id = e.stream_id
                    RETURNING e.id, e.stream_id, e.jti, e.claims, e.attempts, due.due_at,
                        GREATEST(e.created_at, s.updated_at) AS window_start, e.lease_until, s.receiver, s.configuration,
                        s.authorization_header, (SELECT v.trace_context FROM events v WHERE v.id = e.event_id) AS trace_context
                    """
                )
                claimed += try rows.sorted {
                    (try $0.get("due_at", as: Int64.self), try $0.get("id", as: Int64.self))
                        < (try $1.get("due_at", as: Int64.self), try $1.get("id", as: Int64.self))
                }.map { row in
                    ClaimedSecurityEvent(
                        id: try row.get("id"),
                        streamID: try row.get("stream_id"),
                        receiver: try row.get("receiver"),
                        jti: try row.get("jti"),
                        claims: try row.get("claims"),
                        configuration: try row.get("configuration"),
                        sealedAuthorization: try row.bytes("authorization_header"),
                        attempts: Int(try row.get("attempts", as: Int64.self)),
                        createdAt: try row.time("window_start"),
                        leaseStamp: try row.get("lease_until", as: Int64.self),
                        traceContext: try row.get("trace_context", as: String?.self).flatMap(TraceContext.init(stored:))
                    )
                }
                if let probing = ClaimPlanner.afterClaim(
                    breaker,
                    slots: slots,
                    leased: claimed.count - before,
                    now: now,
                    lease: request.lease
                ) {
                    try await db.execute(PostgresRows.saveStreamBreaker(probing, streamID: stream))
                }
            }
            return claimed
        }
    }

    /// A retried SET keeps its status (a stream paused while its SET was in flight holds it); an
    /// outcome no longer under the lease it was pushed under (its owner and end: this replica
    /// stalled past it, another claimed the SET since) is dropped and returned, as is one
    /// for a SET a poll acknowledged meanwhile. The streams' rows are locked
    /// in name order first, so each breaker is read, fed every kept verdict and saved without
    /// another replica's outcomes slipping in between.
    @discardableResult
    public func recordSecurityEvents(_ reports: [SecurityEventReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        let owner = self.owner
        return try await write { db in
            let streams = Set(reports.map(\.streamID)).sorted()
            try await db.execute(
                "SELECT id FROM ssf_streams WHERE id = ANY(\(streams)) ORDER BY id FOR NO KEY UPDATE"
            )
            var kept: [SecurityEventReport] = []
            for report in reports {
                let t = report.transition
                let status = report.status?.rawValue
                let stored = try await db.count(
                    """
                    UPDATE ssf_events SET status = COALESCE(\(status), status), attempts = \(Int64(t.attempts)),
                        next_attempt_at = COALESCE(\(t.nextAttemptAt?.millisecondsSince1970), next_attempt_at),
                        lease_until = NULL, lease_owner = NULL, finished_at = \(t.finishedAt?.millisecondsSince1970),
                        last_status_code = \(t.lastStatusCode.map(Int64.init)),
                        error = \((t.reason ?? t.lastError).map { SafeText.truncated($0, limit: 1024) })
                    WHERE id = \(report.id) AND status IN ('pending', 'held') AND CASE WHEN \(report.leaseStamp)::BIGINT IS NULL
                        THEN lease_owner = \(owner) OR lease_owner IS NULL
                        ELSE lease_owner = \(owner) AND lease_until = \(report.leaseStamp) END
                    RETURNING 1
                    """
                )
                if stored > 0 { kept.append(report) }
            }
            var current: [String: CircuitBreaker] = [:]
            let fed = BreakerUpdate.streams(of: kept)
            if !fed.isEmpty {
                for row in try await db.rows(
                    """
                    SELECT b.stream_id, \(unescaped: PostgresRows.breakerColumns) FROM ssf_breakers b
                    WHERE b.stream_id = ANY(\(fed.sorted()))
                    """
                ) {
                    current[try row.get("stream_id")] = try PostgresRows.breaker(row)
                }
            }
            for (stream, breaker) in BreakerUpdate.apply(kept, to: current).sorted(by: { $0.key < $1.key }) {
                try await db.execute(PostgresRows.saveStreamBreaker(breaker, streamID: stream))
            }
            let keptIDs = Set(kept.map(\.id))
            return reports.map(\.id).filter { !keptIDs.contains($0) }
        }
    }

    public func releaseSecurityEventLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        let owner = self.owner
        try await write { db in
            try await db.execute(
                """
                UPDATE ssf_events SET lease_until = NULL, lease_owner = NULL,
                    next_attempt_at = \(now.millisecondsSince1970)
                WHERE id = ANY(\(ids)) AND status IN ('pending', 'held') AND lease_owner = \(owner)
                """
            )
            try await Self.notifyQueue(db)
        }
    }

    /// A stream whose breaker is open is due at its next probe, not at its SETs' due times:
    /// else the engine would claim nothing every few milliseconds for the whole outage.
    public func nextSecurityEventDueAt() async throws -> Timestamp? {
        try await read { db in
            try await db.value(
                """
                SELECT MIN(CASE WHEN due IS NULL THEN NULL ELSE GREATEST(due, probe) END) FROM (
                    SELECT (SELECT MIN(e.next_attempt_at) FROM ssf_events e
                            WHERE e.stream_id = s.id AND e.status = 'pending') AS due,
                        COALESCE(CASE WHEN b.state <> 'closed' THEN b.next_probe_at END, 0) AS probe
                    FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id
                    WHERE \(unescaped: Self.isPushStream)) AS streams
                """,
                as: Int64?.self
            ).flatMap { $0 }.map(Timestamp.init(millisecondsSince1970:))
        }
    }

    public func boundSecurityEventDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "ssf_events", now: now, latest: latest)
    }
}
