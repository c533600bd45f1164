import Foundation
import GRDB
import LogoutCore

/// The SETs made for SSF streams: fan-out from the event log, polls, acknowledgements.
extension LogoutDatabase {
    /// A pass follows every accepted logout, so it shares the writer's turns with the queue's
    /// claims, committed without the fsync: as its own transaction, each pass put an fsync in
    /// front of the next acknowledgement (at 1,000 logouts a second, one pass for two or three
    /// of them). Lost in a power cut, a pass leaves its logouts unmarked and is made again.
    public func fanOutSecurityEvents(
        limit: Int,
        now: Timestamp,
        plan: @escaping @Sendable ([FannedOutLogout], [(StoredStream, [String])]) throws -> [NewSecurityEvent]
    ) async throws -> Int {
        try await committer.write(.redeliverable) { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, source, iss, sub, sid, received_at, outcome, deliveries FROM events
                    WHERE ssf_done = 0 ORDER BY id LIMIT ?
                    """,
                arguments: [limit]
            )
            guard !rows.isEmpty else { return 0 }
            let logouts = rows.filter { ($0["outcome"] as String) == "accepted" && ($0["deliveries"] as Int) > 0 }
                .map { row in
                    FannedOutLogout(
                        eventID: row["id"],
                        source: row["source"],
                        iss: row["iss"],
                        sub: row["sub"],
                        sid: row["sid"],
                        receivedAt: Timestamp(column: row["received_at"])
                    )
                }
            var events: [NewSecurityEvent] = []
            if !logouts.isEmpty {
                let streams = try Row.fetchAll(db, sql: "SELECT * FROM ssf_streams ORDER BY created_at, id")
                    .map(Self.stream(from:))
                var withSubjects: [(StoredStream, [String])] = []
                for stream in streams {
                    let removed = try String.fetchAll(
                        db,
                        sql: "SELECT subject FROM ssf_removed_subjects WHERE stream_id = ? ORDER BY rowid",
                        arguments: [stream.id]
                    )
                    withSubjects.append((stream, removed))
                }
                if !withSubjects.isEmpty { events = try plan(logouts, withSubjects) }
            }
            for event in events { try Self.insert(event, now: now, db) }
            let last: Int64 = rows.last!["id"]
            try db.execute(sql: "UPDATE events SET ssf_done = 1 WHERE ssf_done = 0 AND id <= ?", arguments: [last])
            return rows.count
        }
    }

    public func insertSecurityEvent(_ event: NewSecurityEvent, now: Timestamp) async throws {
        try await pool.write { db in try Self.insert(event, now: now, db) }
    }

    private static func insert(_ event: NewSecurityEvent, now: Timestamp, _ db: Database) throws {
        try db.execute(
            sql: """
                INSERT INTO ssf_events (stream_id, event_id, jti, claims, status, created_at, next_attempt_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                event.streamID, event.eventID, event.jti, event.claims, event.held ? "held" : "pending", now.column,
                now.column,
            ]
        )
    }

    public func pendingSecurityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM ssf_events WHERE stream_id = ? AND status = 'pending' ORDER BY id LIMIT ?",
                arguments: [streamID, limit]
            ).map(Self.securityEvent(from:))
        }
    }

    public func finishSecurityEvents(
        streamID: String,
        delivered: [String],
        failed: [String: String],
        now: Timestamp
    ) async throws -> Int {
        guard !delivered.isEmpty || !failed.isEmpty else { return 0 }
        return try await pool.write { db in
            var changed = 0
            for jti in delivered {
                try db.execute(
                    sql: """
                        UPDATE ssf_events SET status = 'delivered', finished_at = ?
                        WHERE stream_id = ? AND jti = ? AND status = 'pending'
                        """,
                    arguments: [now.column, streamID, jti]
                )
                changed += db.changesCount
            }
            for (jti, error) in failed.sorted(by: { $0.key < $1.key }) {
                try db.execute(
                    sql: """
                        UPDATE ssf_events SET status = 'failed', finished_at = ?, error = ?
                        WHERE stream_id = ? AND jti = ? AND status = 'pending'
                        """,
                    arguments: [now.column, error, streamID, jti]
                )
                changed += db.changesCount
            }
            return changed
        }
    }

    /// In the purge's turns (`deleteInTurns`): a stream keeps a SET for each logout it carries,
    /// so after `ssf.retention` as many go at each purge as logouts arrived in 10 minutes, and
    /// in one transaction every acknowledgement waited for all of them.
    public func purgeSecurityEvents(before cutoff: Timestamp) async throws -> (deleted: Int, undelivered: Int) {
        // Both statements select the same rows: the oldest first, ties in id order.
        let oldest = "SELECT id, status FROM ssf_events WHERE created_at < ? ORDER BY created_at, id LIMIT ?"
        let purged = try await deleteInTurns(
            "DELETE FROM ssf_events WHERE id IN (SELECT id FROM (\(oldest)))",
            cutoff.column,
            batch: 100,
            tally: "SELECT COUNT(*) FROM (\(oldest)) WHERE status IN ('held', 'pending')"
        )
        return (purged.deleted, purged.tallied)
    }

    public func securityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: "SELECT * FROM ssf_events WHERE stream_id = ? ORDER BY id DESC LIMIT ?",
                arguments: [streamID, limit]
            ).map(Self.securityEvent(from:))
        }
    }

    private static func securityEvent(from row: Row) -> StoredSecurityEvent {
        StoredSecurityEvent(
            id: row["id"],
            streamID: row["stream_id"],
            eventID: row["event_id"],
            jti: row["jti"],
            claims: row["claims"],
            status: StoredSecurityEvent.Status(rawValue: row["status"]) ?? .failed,
            createdAt: Timestamp(column: row["created_at"]),
            error: row["error"],
            attempts: row["attempts"],
            lastStatusCode: row["last_status_code"],
            finishedAt: (row["finished_at"] as Int64?).timestamp
        )
    }
}
