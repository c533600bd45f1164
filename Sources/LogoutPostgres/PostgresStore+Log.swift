import LogoutCore
import PostgresNIO

/// Reads of the delivery log, and the admin's redelivery actions, from any replica.
extension PostgresStore {
    public func events(_ query: EventQuery) async throws -> [EventRecord] {
        try await read { db in
            var conditions = PostgresConditions()
            if let outcome = query.outcome { conditions.add("outcome = ?", outcome.rawValue) }
            if let issuer = query.issuer { conditions.add("(source = ? OR iss = ?)", issuer, issuer) }
            if let sub = query.sub { conditions.add("sub = ?", sub) }
            if let beforeID = query.beforeID { conditions.add("id < ?", beforeID) }
            let limit = conditions.placeholder(for: query.limit)
            return try await db.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT * FROM events \(conditions.whereClause) ORDER BY id DESC LIMIT \(limit)",
                    binds: conditions.binds
                )
            ).map(Self.event)
        }
    }

    public func event(id: Int64) async throws -> EventRecord? {
        try await read { db in try await db.row("SELECT * FROM events WHERE id = \(id)").map(Self.event) }
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> [DeliveryRecord] {
        try await read { db in
            var conditions = PostgresConditions()
            if let status = query.status { conditions.add("status = ?", status.rawValue) }
            if let clientID = query.clientID { conditions.add("client_id = ?", clientID) }
            if let eventID = query.eventID { conditions.add("event_id = ?", eventID) }
            if let beforeID = query.beforeID { conditions.add("id < ?", beforeID) }
            if let afterID = query.afterID { conditions.add("id > ?", afterID) }
            let limit = conditions.placeholder(for: query.limit)
            return try await db.rows(
                PostgresQuery(
                    unsafeSQL: "SELECT * FROM deliveries \(conditions.whereClause) ORDER BY id DESC LIMIT \(limit)",
                    binds: conditions.binds
                )
            ).map(Self.delivery)
        }
    }

    public func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord])? {
        try await read { db in
            guard let row = try await db.row("SELECT * FROM deliveries WHERE id = \(id)") else { return nil }
            let attempts = try await db.rows("SELECT * FROM attempts WHERE delivery_id = \(id) ORDER BY attempt")
                .map(Self.attempt)
            return (try Self.delivery(row), attempts)
        }
    }

    public func retryDelivery(id: Int64, now: Timestamp) async throws -> RetryOutcome {
        try await write { db in
            guard
                let status = try await db.value(
                    "SELECT status FROM deliveries WHERE id = \(id) FOR UPDATE",
                    as: String.self
                )
            else { return .notFound }
            if status == DeliveryStatus.delivered.rawValue { return .alreadyDelivered }
            _ = try await Self.requeue(db, condition: "id = $3", now: now) { $0.append(id) }
            return .queued
        }
    }

    public func recoverDeliveries(clientID: String, since: Timestamp, now: Timestamp) async throws -> Int {
        try await write { db in
            try await Self.requeue(
                db,
                condition: "client_id = $3 AND status IN ('failed', 'skipped') AND created_at >= $4",
                now: now
            ) {
                $0.append(clientID)
                $0.append(since.millisecondsSince1970)
            }
        }
    }

    public func skipWaitingDeliveries(clientID: String, reason: String, now: Timestamp) async throws -> Int {
        try await write { db in
            try await db.count(
                """
                UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, reason = \(reason),
                    finished_at = \(now.millisecondsSince1970)
                WHERE client_id = \(clientID) AND status IN ('pending', 'retrying') AND lease_until IS NULL
                RETURNING 1
                """
            )
        }
    }

    public func queueStatistics() async throws -> QueueStatistics {
        try await read { db in
            var statistics = QueueStatistics()
            for row in try await db.rows(
                """
                SELECT status, lease_until IS NOT NULL AS leased, count(*) AS n, min(created_at) AS oldest
                FROM deliveries WHERE status IN ('pending', 'retrying') GROUP BY status, leased
                """
            ) {
                let count = Int(try row.get("n", as: Int64.self))
                if try row.get("leased", as: Bool.self) {
                    statistics.inFlight += count
                } else if try row.get("status", as: String.self) == "pending" {
                    statistics.pending += count
                } else {
                    statistics.retrying += count
                }
                if let oldest = try row.optionalTime("oldest"),
                    statistics.oldestWaitingCreatedAt.map({ oldest < $0 }) ?? true
                {
                    statistics.oldestWaitingCreatedAt = oldest
                }
            }
            return statistics
        }
    }

    public func deliveryActivity(start: Timestamp, minutes: Int) async throws -> [DeliveryActivity.Count] {
        let (from, to) = (start.millisecondsSince1970, (start + .seconds(60 * minutes)).millisecondsSince1970)
        return try await read { db in
            try await db.rows(
                """
                SELECT (finished_at - \(from)) / 60000 AS minute, status AS series, count(*) AS n FROM deliveries
                WHERE finished_at >= \(from) AND finished_at < \(to) GROUP BY 1, 2
                UNION ALL
                SELECT (started_at - \(from)) / 60000, 'retried', count(*) FROM attempts
                WHERE started_at >= \(from) AND started_at < \(to) AND next_attempt_at IS NOT NULL
                GROUP BY 1
                """
            ).compactMap { row in
                guard let series = DeliveryActivity.Series(rawValue: try row.get("series")) else { return nil }
                return DeliveryActivity.Count(
                    minute: Int(try row.get("minute", as: Int64.self)),
                    series: series,
                    count: Int(try row.get("n", as: Int64.self))
                )
            }
        }
    }

    /// Queues deliveries again, due now; `created_at` restarts for a failed or skipped one so that
    /// its retry window counts from the redelivery. `$1` and `$2` are now; `bind` adds the
    /// condition's values from `$3`.
    private static func requeue(
        _ db: PostgresSession,
        condition: String,
        now: Timestamp,
        bind: (inout PostgresBindings) -> Void
    ) async throws -> Int {
        var binds = PostgresBindings()
        binds.append(now.millisecondsSince1970)
        binds.append(now.millisecondsSince1970)
        bind(&binds)
        let count = try await db.count(
            PostgresQuery(
                unsafeSQL: """
                    UPDATE deliveries SET
                        status = CASE WHEN status IN ('failed', 'skipped') THEN 'pending' ELSE status END,
                        next_attempt_at = $1,
                        created_at = CASE WHEN status IN ('failed', 'skipped') THEN $2 ELSE created_at END,
                        lease_until = NULL, reason = NULL, finished_at = NULL
                    WHERE \(condition) RETURNING 1
                    """,
                binds: binds
            )
        )
        if count > 0 { try await notifyQueue(db) }
        return count
    }
}
