import GRDB
import LogoutCore

/// Reads of the delivery log, and the admin's redelivery actions.
extension LogoutDatabase {
    public func events(_ query: EventQuery) async throws -> [EventRecord] {
        try await pool.read { db in
            var conditions = Conditions()
            if let outcome = query.outcome { conditions.add("outcome = ?", outcome.rawValue) }
            if let issuer = query.issuer { conditions.add("(source = ? OR iss = ?)", issuer, issuer) }
            if let sub = query.sub { conditions.add("sub = ?", sub) }
            if let beforeID = query.beforeID { conditions.add("id < ?", beforeID) }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM events \(conditions.whereClause) ORDER BY id DESC LIMIT ?",
                arguments: conditions.arguments(appending: query.limit)
            )
            .map(EventRecord.init(row:))
        }
    }

    public func event(id: Int64) async throws -> EventRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id]).map(EventRecord.init(row:))
        }
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> [DeliveryRecord] {
        try await expandFanOutPlans()
        let held = leases.all()
        return try await pool.read { db in
            var conditions = Conditions()
            if let status = query.status { conditions.add("status = ?", status.rawValue) }
            if let clientID = query.clientID { conditions.add("client_id = ?", clientID) }
            if let eventID = query.eventID { conditions.add("event_id = ?", eventID) }
            if let beforeID = query.beforeID { conditions.add("id < ?", beforeID) }
            if let afterID = query.afterID { conditions.add("id > ?", afterID) }
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM deliveries \(conditions.whereClause) ORDER BY id DESC LIMIT ?",
                arguments: conditions.arguments(appending: query.limit)
            ).map { DeliveryRecord(row: $0, lease: held[$0["id"]]) }
        }
    }

    public func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord])? {
        try await expandFanOutPlans()
        let held = leases.all()
        return try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let attempts = try Row.fetchAll(
                db,
                sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt",
                arguments: [id]
            ).map(AttemptRecord.init(row:))
            return (DeliveryRecord(row: row, lease: held[id]), attempts)
        }
    }

    /// Queues a delivery again, due now. A failed or skipped one gets a fresh start of its retry
    /// window; a waiting one is simply brought forward.
    public func retryDelivery(id: Int64, now: Timestamp) async throws -> RetryOutcome {
        let undo = DeliveryLeases.Undo()
        return try await committer.write { db -> RetryOutcome in
            self.committer.onRollback { self.leases.undo(undo) }
            guard
                let status = try String.fetchOne(
                    db,
                    sql: "SELECT status FROM deliveries WHERE id = ?",
                    arguments: [id]
                )
            else { return .notFound }
            if status == DeliveryStatus.delivered.rawValue { return .alreadyDelivered }
            try Self.requeue(db, condition: "id = ?", arguments: [id], now: now)
            // Brought forward, it is claimable at once, as when its lease was in the row.
            self.leases.end([id], undo: undo)
            return .queued
        }
    }

    public func queueStatistics() async throws -> QueueStatistics {
        try await expandFanOutPlans()
        let held = Array(leases.all().keys)
        var statistics = try await pool.read { db in
            var statistics = QueueStatistics()
            for row in try Row.fetchAll(
                db,
                sql: """
                    SELECT status, lease_until IS NOT NULL AS leased, count(*) AS n, min(created_at) AS oldest
                    FROM deliveries WHERE status IN ('pending', 'retrying') GROUP BY status, leased
                    """
            ) {
                let count: Int = row["n"]
                if row["leased"] as Bool {
                    statistics.inFlight += count
                } else if (row["status"] as String) == "pending" {
                    statistics.pending += count
                } else {
                    statistics.retrying += count
                }
                let oldest = (row["oldest"] as Int64?).timestamp
                if let oldest, statistics.oldestWaitingCreatedAt.map({ oldest < $0 }) ?? true {
                    statistics.oldestWaitingCreatedAt = oldest
                }
            }
            // This process's leases, counted above as waiting: in flight instead.
            let status = try db.cachedStatement(
                sql:
                    "SELECT status FROM deliveries WHERE id = ? AND lease_until IS NULL AND status IN ('pending', 'retrying')"
            )
            for id in held {
                switch try String.fetchOne(status, arguments: [id]) {
                case "pending": statistics.pending -= 1
                case "retrying": statistics.retrying -= 1
                default: continue
                }
                statistics.inFlight += 1
            }
            return statistics
        }
        let busy = committer.busyTime
        statistics.writerBusy = WriterBusyTime(acknowledged: busy.onDisk, queue: busy.redeliverable)
        return statistics
    }

    public func deliveryActivity(start: Timestamp, minutes: Int) async throws -> [DeliveryActivity.Count] {
        try await expandFanOutPlans()
        let end = start + .seconds(60 * minutes)
        return try await pool.read { db in
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT (finished_at - ?1) / 60000 AS minute, status AS series, count(*) AS n FROM deliveries
                    WHERE finished_at >= ?1 AND finished_at < ?2 GROUP BY minute, status
                    UNION ALL
                    SELECT (started_at - ?1) / 60000, 'retried', count(*) FROM attempts
                    WHERE started_at >= ?1 AND started_at < ?2 AND next_attempt_at IS NOT NULL
                    GROUP BY 1
                    """,
                arguments: [start.column, end.column]
            )
            return rows.compactMap { row in
                DeliveryActivity.Series(rawValue: row[1]).map {
                    DeliveryActivity.Count(minute: row[0], series: $0, count: row[2])
                }
            }
        }
    }

    private static func requeue(
        _ db: Database,
        condition: String,
        arguments: StatementArguments,
        now: Timestamp
    ) throws {
        // `created_at` restarts so that the retry window counts from the redelivery.
        var all: StatementArguments = [now.column, now.column]
        _ = all.append(contentsOf: arguments)
        try db.execute(
            sql: """
                UPDATE deliveries SET
                    status = CASE WHEN status IN ('failed', 'skipped') THEN 'pending' ELSE status END,
                    next_attempt_at = ?, created_at = CASE WHEN status IN ('failed', 'skipped') THEN ? ELSE created_at END,
                    lease_until = NULL, reason = NULL, finished_at = NULL
                WHERE \(condition)
                """,
            arguments: all
        )
    }
}

/// `WHERE` conditions built from optional filters, with their arguments in order.
struct Conditions {
    private var clauses: [String] = []
    private var values: [any DatabaseValueConvertible] = []

    mutating func add(_ clause: String, _ arguments: any DatabaseValueConvertible...) {
        clauses.append(clause)
        values.append(contentsOf: arguments)
    }

    var whereClause: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }

    func arguments(appending extra: any DatabaseValueConvertible...) -> StatementArguments {
        StatementArguments(values + extra)
    }
}
