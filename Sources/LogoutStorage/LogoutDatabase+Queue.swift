import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Stores outcomes and their deliveries' new states in one write; concurrent writes share a
    /// commit. An RP's breaker is read and saved once per call, whatever the number of its outcomes.
    /// One process holds this file's leases (its lock), and it starts no attempt its lease cannot
    /// cover: no outcome is ever another's, none is dropped. The leases end with the outcomes'
    /// write (a release after it finds none, and keeps their due times); a write that fails
    /// gives them back, to expire, and the jobs are attempted again.
    @discardableResult
    public func recordAttempts(_ reports: [AttemptReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        let undo = DeliveryLeases.Undo()
        try await committer.write(.redeliverable) { db in
            self.committer.onRollback { self.leases.undo(undo) }
            var stored: [(report: AttemptReport, clientID: String)] = []
            let statements = try OutcomeStatements(db)
            for report in reports {
                try statements.store(report)
                if let clientID = try Self.clientID(of: report, db) { stored.append((report, clientID)) }
            }
            var current: [String: CircuitBreaker] = [:]
            for clientID in BreakerUpdate.relyingParties(of: stored) {
                current[clientID] = try CircuitBreaker.load(clientID: clientID, db)
            }
            for (clientID, breaker) in BreakerUpdate.apply(stored, to: current) {
                try breaker.save(clientID: clientID, db)
            }
            self.leases.end(reports.lazy.map(\.deliveryID), undo: undo)
        }
        return []
    }

    /// The report's RP; read from the row only for a report that does not name it.
    private static func clientID(of report: AttemptReport, _ db: Database) throws -> String? {
        if !report.clientID.isEmpty { return report.clientID }
        return try String.fetchOne(
            db.cachedStatement(sql: "SELECT client_id FROM deliveries WHERE id = ?"),
            arguments: [report.deliveryID]
        )
    }

    /// Gives leased deliveries back to the queue, due at `now` (graceful stop). Only
    /// what is still leased: an outcome stored first keeps its due time. A lease held in a row
    /// is one an older release left, which the start released already; still handled.
    public func releaseLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await pool.writeWithoutTransaction { db in
            // A failed transaction gives the leases back before any other write runs.
            let undo = DeliveryLeases.Undo()
            do {
                try db.inTransaction {
                    // Read in the writer's order: an outcome committed first has ended its lease.
                    let held = self.leases.held(ids)
                    let statement = try db.cachedStatement(
                        sql: """
                            UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = ?
                            WHERE id = ? AND status IN ('pending', 'retrying') AND (lease_until IS NOT NULL OR ?)
                            """
                    )
                    for id in ids {
                        try statement.execute(arguments: [now.column, id, held.contains(id)])
                    }
                    self.leases.end(held, undo: undo)
                    return .commit
                }
            } catch {
                self.leases.undo(undo)
                throw error
            }
        }
    }

    /// At start, every lease belongs to a process that is gone (one daemon per database, held by
    /// the lock file): its deliveries and revocations are due again at once. Returns how many.
    public func releaseAllLeases(now: Timestamp) async throws -> Int {
        let held = leases.endAll()
        return try await pool.write { db in
            // Held here by this process (a test handing the file to a new start), or left in
            // their rows by an older release.
            var released = 0
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'retrying') AND lease_until IS NULL
                    """
            )
            for id in held {
                try statement.execute(arguments: [now.column, id])
                released += db.changesCount
            }
            try db.execute(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """,
                arguments: [now.column]
            )
            released += db.changesCount
            try db.execute(
                sql: """
                    UPDATE revocations SET lease_until = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """,
                arguments: [now.column]
            )
            let revocations = db.changesCount
            try db.execute(
                sql: """
                    UPDATE ssf_events SET lease_until = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'held')
                    """,
                arguments: [now.column]
            )
            return released + revocations + db.changesCount
        }
    }

    /// Due times further ahead than `latest` come from a wall clock that stepped back; they
    /// are brought to `now + latest`. Leased rows are left to their lease.
    public func boundDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "deliveries", now: now, latest: latest)
    }

    /// The rows of a queue `table` due later than `now + latest` are brought to it; leased rows
    /// are left to their lease.
    func boundDueTimes(of table: String, now: Timestamp, latest: Duration) async throws -> Int {
        let bound = (now + latest).column
        // A plan's deliveries are due when it was recorded, at a time as far ahead.
        if table == "deliveries" { try await expandFanOutPlans() }
        return try await committer.write { db in
            let bring = {
                try db.execute(
                    sql: """
                        UPDATE \(table) SET next_attempt_at = ?
                        WHERE status IN ('pending', 'retrying') AND lease_until IS NULL AND next_attempt_at > ?
                        """,
                    arguments: [bound, bound]
                )
                return db.changesCount
            }
            return table == "deliveries" ? try self.withAllFanOutPlansExpanded(db, bring) : try bring()
        }
    }
}
