import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Removes what is no longer needed: replay records past their retention, expired sessions,
    /// sessions ended and events received more than `retention` ago (with their deliveries and
    /// attempts, unless a delivery is still waiting), and rejected, deferred and duplicate
    /// events older than `rejectedRetention`: anyone can cause those, so they go sooner.
    public func purge(now: Timestamp, retention: Duration, rejectedRetention: Duration) async throws -> PurgeCounts {
        let cutoff = (now - retention).column
        let rejectedCutoff = (now - rejectedRetention).column
        return try await pool.write { db in
            var counts = PurgeCounts()
            try db.execute(sql: "DELETE FROM replay WHERE expires_at <= ?", arguments: [now.column])
            counts.replayRecords = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM sessions
                    WHERE (ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?) OR ended_at <= ?
                    """,
                arguments: [now.column, cutoff]
            )
            counts.sessions = db.changesCount
            try db.execute(
                sql: """
                    DELETE FROM events WHERE received_at < ? AND NOT EXISTS (
                        SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id
                        AND deliveries.status IN ('pending', 'retrying'))
                        AND NOT EXISTS (SELECT 1 FROM pending_fanouts p WHERE p.event_id = events.id)
                    """,
                arguments: [cutoff]
            )
            counts.events = db.changesCount
            try db.execute(
                sql: "DELETE FROM events WHERE outcome IN ('rejected', 'deferred', 'duplicate') AND received_at < ?",
                arguments: [rejectedCutoff]
            )
            counts.rejectedEvents = db.changesCount
            return counts
        }
    }

    /// `VACUUM INTO` on a reader: its own read transaction makes the copy consistent, and WAL
    /// lets writers go on meanwhile, so notifiers are not kept waiting by a backup.
    public func snapshot(into path: String) async throws {
        try await pool.unsafeRead { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [path])
        }
    }
}
