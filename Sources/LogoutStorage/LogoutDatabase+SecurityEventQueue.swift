import Foundation
import GRDB
import LogoutCore

/// The SETs of push streams as a queue of the one engine.
extension LogoutDatabase {
    /// Enabled push streams. The delivery method is read from the stream's configuration as the
    /// core wrote it, so a stream switched between poll and push moves its waiting SETs with it.
    /// Claims start from these few rows and reach each stream's due SETs through
    /// `ssf_events_due` (stream, due time): the SETs waiting for poll receivers, however many,
    /// are never read.
    static let isPushStream = """
        s.status = 'enabled'
            AND json_extract(s.configuration, '$.delivery.method') = '\(SSFDeliveryMethod.push.rawValue)'
        """

    /// Leases due SETs, stream by stream in the claim's round and within each stream's slots.
    public func claimDueSecurityEvents(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedSecurityEvent] {
        guard request.limit > 0 else { return [] }
        return try await pool.write { db in
            let (nowMs, leaseEnd) = (now.column, (now + request.lease).column)
            let streams = try String.fetchAll(
                db,
                sql: """
                    SELECT s.id FROM ssf_streams s WHERE \(Self.isPushStream) AND EXISTS (
                        SELECT 1 FROM ssf_events e INDEXED BY ssf_events_due
                        WHERE e.stream_id = s.id AND e.status = 'pending' AND e.next_attempt_at <= ?)
                    ORDER BY s.id
                    """,
                arguments: [nowMs]
            )
            let select = try db.cachedStatement(
                sql: """
                    SELECT e.id, e.stream_id, e.jti, e.claims, e.attempts, MAX(e.created_at, s.updated_at) AS window_start,
                        s.receiver, s.configuration, s.authorization_header,
                        (SELECT v.trace_context FROM events v WHERE v.id = e.event_id) AS trace_context
                    FROM ssf_events e INDEXED BY ssf_events_due JOIN ssf_streams s ON s.id = e.stream_id
                    WHERE e.stream_id = ? AND e.status = 'pending' AND e.next_attempt_at <= ?
                    ORDER BY e.next_attempt_at, e.id LIMIT ?
                    """
            )
            let lease = try db.cachedStatement(
                sql: "UPDATE ssf_events SET next_attempt_at = ?, lease_until = ? WHERE id = ?"
            )
            var claimed: [ClaimedSecurityEvent] = []
            for stream in ClaimPlanner.round(streams, rotation: request.rotation) {
                let remaining = request.limit - claimed.count
                guard remaining > 0 else { break }
                let breaker = try CircuitBreaker.load(streamID: stream, db)
                let slots = ClaimPlanner.slots(for: stream, request, remaining: remaining, breaker: breaker, now: now)
                guard slots.count > 0 else { continue }
                let before = claimed.count
                for row in try Row.fetchAll(select, arguments: [stream, nowMs, slots.count]) {
                    let id: Int64 = row["id"]
                    try lease.execute(arguments: [leaseEnd, leaseEnd, id])
                    claimed.append(
                        ClaimedSecurityEvent(
                            id: id,
                            streamID: row["stream_id"],
                            receiver: row["receiver"],
                            jti: row["jti"],
                            claims: row["claims"],
                            configuration: row["configuration"],
                            sealedAuthorization: (row["authorization_header"] as Data?).map { [UInt8]($0) },
                            attempts: row["attempts"],
                            createdAt: Timestamp(column: row["window_start"]),
                            traceContext: (row["trace_context"] as String?).flatMap(TraceContext.init(stored:))
                        )
                    )
                }
                if let probing = ClaimPlanner.afterClaim(
                    breaker,
                    slots: slots,
                    leased: claimed.count - before,
                    now: now,
                    lease: request.lease
                ) {
                    try probing.save(streamID: stream, db)
                }
            }
            return claimed
        }
    }

    /// A retried SET keeps its status: a stream paused while its SET was in flight holds it.
    /// Each stream's breaker is fed its outcomes in the same transaction. One process owns this
    /// queue: no outcome is another's to drop (one not kept was acknowledged by a poll).
    @discardableResult
    public func recordSecurityEvents(_ reports: [SecurityEventReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        try await pool.write { db in
            let update = try db.cachedStatement(
                sql: """
                    UPDATE ssf_events SET status = COALESCE(?, status), attempts = ?,
                        next_attempt_at = COALESCE(?, next_attempt_at), lease_until = NULL, finished_at = ?,
                        last_status_code = ?, error = ?
                    WHERE id = ? AND status IN ('pending', 'held')
                    """
            )
            var kept: [SecurityEventReport] = []
            for report in reports {
                let t = report.transition
                try update.execute(arguments: [
                    report.status?.rawValue, t.attempts, t.nextAttemptAt?.column, t.finishedAt?.column,
                    t.lastStatusCode,
                    (t.reason ?? t.lastError).map { SafeText.truncated($0, limit: 1024) }, report.id,
                ])
                if db.changesCount > 0 { kept.append(report) }
            }
            // Only the outcomes stored feed the breaker, as in the shared store.
            var current: [String: CircuitBreaker] = [:]
            for stream in BreakerUpdate.streams(of: kept) {
                current[stream] = try CircuitBreaker.load(streamID: stream, db)
            }
            for (stream, breaker) in BreakerUpdate.apply(kept, to: current) {
                try breaker.save(streamID: stream, db)
            }
        }
        return []
    }

    public func releaseSecurityEventLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE ssf_events SET lease_until = NULL, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'held') AND lease_until IS NOT NULL
                    """
            )
            for id in ids { try statement.execute(arguments: [now.column, id]) }
        }
    }

    /// A stream whose breaker is open is due at its next probe, not at its SETs' due times:
    /// else the engine would claim nothing every few milliseconds for the whole outage.
    public func nextSecurityEventDueAt() async throws -> Timestamp? {
        try await pool.read { db in
            try Int64.fetchOne(
                db,
                sql: """
                    SELECT MIN(MAX(
                        (SELECT MIN(e.next_attempt_at) FROM ssf_events e INDEXED BY ssf_events_due
                            WHERE e.stream_id = s.id AND e.status = 'pending'),
                        COALESCE(CASE WHEN b.state <> 'closed' THEN b.next_probe_at END, 0)))
                    FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id
                    WHERE \(Self.isPushStream)
                    """
            ).timestamp
        }
    }

    public func boundSecurityEventDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "ssf_events", now: now, latest: latest)
    }
}
