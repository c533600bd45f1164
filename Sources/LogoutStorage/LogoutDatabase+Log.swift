import Foundation
import GRDB
import LogoutCore

public struct EventFilter: Sendable {
    public var outcome: EventRecord.Outcome?
    public var limit: Int
    /// Only events with a smaller id (paging backwards in time).
    public var beforeID: Int64?

    public init(outcome: EventRecord.Outcome? = nil, limit: Int = 100, beforeID: Int64? = nil) {
        self.outcome = outcome
        self.limit = limit
        self.beforeID = beforeID
    }
}

public struct DeliveryFilter: Sendable {
    public var status: DeliveryStatus?
    public var clientID: String?
    public var eventID: Int64?
    public var limit: Int
    public var beforeID: Int64?

    public init(
        status: DeliveryStatus? = nil,
        clientID: String? = nil,
        eventID: Int64? = nil,
        limit: Int = 100,
        beforeID: Int64? = nil
    ) {
        self.status = status
        self.clientID = clientID
        self.eventID = eventID
        self.limit = limit
        self.beforeID = beforeID
    }
}

/// Reads of the delivery log, and the admin's redelivery actions.
extension LogoutDatabase {
    public func events(_ filter: EventFilter) async throws -> [EventRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let outcome = filter.outcome {
                conditions.append("outcome = ?")
                _ = arguments.append(contentsOf: [outcome.rawValue])
            }
            if let beforeID = filter.beforeID {
                conditions.append("id < ?")
                _ = arguments.append(contentsOf: [beforeID])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [filter.limit])
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM events \(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            )
            .map(EventRecord.init(row:))
        }
    }

    public func event(id: Int64) async throws -> EventRecord? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM events WHERE id = ?", arguments: [id]).map(EventRecord.init(row:))
        }
    }

    public func deliveries(_ filter: DeliveryFilter) async throws -> [DeliveryRecord] {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let status = filter.status {
                conditions.append("status = ?")
                _ = arguments.append(contentsOf: [status.rawValue])
            }
            if let clientID = filter.clientID {
                conditions.append("client_id = ?")
                _ = arguments.append(contentsOf: [clientID])
            }
            if let eventID = filter.eventID {
                conditions.append("event_id = ?")
                _ = arguments.append(contentsOf: [eventID])
            }
            if let beforeID = filter.beforeID {
                conditions.append("id < ?")
                _ = arguments.append(contentsOf: [beforeID])
            }
            let whereClause = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            _ = arguments.append(contentsOf: [filter.limit])
            return try Row.fetchAll(
                db,
                sql: "SELECT * FROM deliveries \(whereClause) ORDER BY id DESC LIMIT ?",
                arguments: arguments
            ).map(DeliveryRecord.init(row:))
        }
    }

    public func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord])? {
        try await pool.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM deliveries WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let attempts = try Row.fetchAll(
                db,
                sql: "SELECT * FROM attempts WHERE delivery_id = ? ORDER BY attempt",
                arguments: [id]
            ).map(AttemptRecord.init(row:))
            return (DeliveryRecord(row: row), attempts)
        }
    }

    public enum RetryOutcome: Sendable, Equatable {
        case queued
        case notFound
        case alreadyDelivered
    }

    /// Queues a delivery again, due now. A failed or skipped one gets a fresh start of its retry
    /// window; a waiting one is simply brought forward.
    public func retryDelivery(id: Int64, now: Date) async throws -> RetryOutcome {
        try await committer.write { db in
            guard
                let status = try String.fetchOne(db, sql: "SELECT status FROM deliveries WHERE id = ?", arguments: [id])
            else { return .notFound }
            if status == DeliveryStatus.delivered.rawValue { return .alreadyDelivered }
            try Self.requeue(db, condition: "id = ?", arguments: [id], now: now)
            return .queued
        }
    }

    /// Queues again every failed delivery of an RP created since `since` (after an outage).
    public func recoverDeliveries(clientID: String, since: Date, now: Date) async throws -> Int {
        try await committer.write { db in
            try Self.requeue(
                db,
                condition: "client_id = ? AND status = 'failed' AND created_at >= ?",
                arguments: [clientID, since.milliseconds],
                now: now
            )
            return db.changesCount
        }
    }

    private static func requeue(_ db: Database, condition: String, arguments: StatementArguments, now: Date) throws {
        // `created_at` restarts so that the retry window counts from the redelivery.
        var all: StatementArguments = [now.milliseconds, now.milliseconds]
        _ = all.append(contentsOf: arguments)
        try db.execute(
            sql: """
                UPDATE deliveries SET
                    status = CASE WHEN status IN ('failed', 'skipped') THEN 'pending' ELSE status END,
                    next_attempt_at = ?, created_at = CASE WHEN status IN ('failed', 'skipped') THEN ? ELSE created_at END,
                    lease_until = NULL, reason = NULL
                WHERE \(condition)
                """,
            arguments: all
        )
    }
}

extension EventRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            receivedAt: Date(milliseconds: row["received_at"]),
            source: row["source"],
            iss: row["iss"],
            sub: row["sub"],
            sid: row["sid"],
            jti: row["jti"],
            tokenHash: row["token_hash"],
            outcome: Outcome(rawValue: row["outcome"]) ?? .rejected,
            reason: row["reason"],
            deliveries: row["deliveries"],
            clientAddress: row["client_address"]
        )
    }
}

extension DeliveryRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            eventID: row["event_id"],
            clientID: row["client_id"],
            sub: row["sub"],
            sid: row["sid"],
            status: DeliveryStatus(rawValue: row["status"]) ?? .pending,
            attempts: row["attempts"],
            createdAt: Date(milliseconds: row["created_at"]),
            nextAttemptAt: (row["next_attempt_at"] as Int64?).date,
            deliveredAt: (row["delivered_at"] as Int64?).date,
            lastStatusCode: row["last_status_code"],
            lastError: row["last_error"],
            reason: row["reason"]
        )
    }
}

extension AttemptRecord {
    init(row: Row) {
        self.init(
            deliveryID: row["delivery_id"],
            attempt: row["attempt"],
            startedAt: Date(milliseconds: row["started_at"]),
            durationMilliseconds: row["duration_ms"],
            statusCode: row["status_code"],
            errorClass: (row["error_class"] as String?).flatMap(ErrorClass.init(rawValue:)),
            jti: row["jti"],
            rpError: row["rp_error"],
            nextAttemptAt: (row["next_attempt_at"] as Int64?).date
        )
    }
}
