import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    public struct PurgeCounts: Sendable, Equatable {
        public var replayRecords = 0
        public var sessions = 0
        public var events = 0
        public var rejectedEvents = 0
    }

    /// Removes what is no longer needed: replay records past their retention, expired sessions,
    /// sessions ended and events received before `retentionCutoff` (with their deliveries and
    /// attempts, unless a delivery is still waiting), and rejected, deferred and duplicate
    /// events received before `rejectedCutoff`: anyone can cause those, so they are kept for a
    /// shorter time (SEC-4).
    public func purge(now: Date, retentionCutoff: Date, rejectedCutoff: Date? = nil) async throws -> PurgeCounts {
        try await pool.write { db in
            var counts = PurgeCounts()
            try db.execute(sql: "DELETE FROM replay WHERE expires_at <= ?", arguments: [now.milliseconds])
            counts.replayRecords = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM sessions
                    WHERE (ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?) OR ended_at <= ?
                    """,
                arguments: [now.milliseconds, retentionCutoff.milliseconds]
            )
            counts.sessions = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM events WHERE received_at < ? AND NOT EXISTS (
                        SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id
                        AND deliveries.status IN ('pending', 'retrying'))
                    """,
                arguments: [retentionCutoff.milliseconds]
            )
            counts.events = db.changesCount
            if let rejectedCutoff {
                try db.execute(
                    sql: """
                        DELETE FROM events WHERE outcome IN ('rejected', 'deferred', 'duplicate') AND received_at < ?
                        """,
                    arguments: [rejectedCutoff.milliseconds]
                )
                counts.rejectedEvents = db.changesCount
            }
            return counts
        }
    }
}

extension LogoutDatabase {
    /// Remembers the signing keys found in `keys.dir` (OUT-4): when each was first seen, so the
    /// log can tell which key signed what period even after files are removed.
    public func recordSigningKeys(
        _ keys: [(keyID: String, algorithm: String, file: String, createdAt: Date)],
        now: Date
    )
        async throws
    {
        try await pool.write { db in
            for key in keys {
                try db.execute(
                    sql: """
                        INSERT INTO signing_keys (kid, alg, file, created_at, first_seen_at) VALUES (?, ?, ?, ?, ?)
                        ON CONFLICT(kid) DO UPDATE SET file = excluded.file
                        """,
                    arguments: [key.keyID, key.algorithm, key.file, key.createdAt.milliseconds, now.milliseconds]
                )
            }
        }
    }
}
