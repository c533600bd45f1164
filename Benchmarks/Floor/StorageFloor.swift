import Foundation
import GRDB

/// The cheapest SQLite statements that keep logoutd's promise, on logoutd's own schema and
/// through the same GRDB and system SQLite: what no store on this design can go below.
///
/// - A logout is on disk before its 200: its event and replay rows (and a delivery row per RP)
///   are committed with `synchronous=FULL`, as many logouts per commit as the load can give a
///   group commit: 32 at wrk's 32 connections (ingest), 16 at the fan-out's 16 posters.
/// - An outcome may be lost in a power cut only if that causes a redelivery: one process owns
///   the queue, so a claim writes nothing (no lease rows); outcomes (the row's new state and
///   its attempt) are committed 160 at a time with `synchronous=NORMAL` (WAL: not fsynced at
///   commit, never torn; a lost outcome leaves the row pending, delivered again).
enum StorageFloor {
    struct Figures {
        /// Per logout that ends no session: its event and replay rows.
        var logoutMicroseconds: Double
        /// Per delivery, at intake: its share of the logout's rows plus its own.
        var intakeMicroseconds: Double
        /// Per delivery: finding it due, then storing its outcome and attempt.
        var claimAndOutcomeMicroseconds: Double
    }

    static let ingestGroup = 32
    static let fanoutGroup = 16
    static let outcomesPerCommit = 160

    static func measure(schemaFrom source: String, at path: String, logouts: Int, rps: Int) throws -> Figures {
        let schema = try DatabaseQueue(path: source).read { db in
            try String.fetchAll(
                db,
                sql: """
                    SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND type IN ('table', 'index')
                        AND name NOT LIKE 'sqlite_%' ORDER BY type DESC
                    """
            )
        }
        try? FileManager.default.removeItem(atPath: path)
        let database = try DatabaseQueue(path: path)
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA journal_mode=WAL")
            for statement in schema { try db.execute(sql: statement) }
        }
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let logout = try CPUTime.perUnit {
            try intake(database, events: 1...logouts, rps: 0, group: ingestGroup, now: now)
        }.microseconds
        let withDeliveries = try CPUTime.perUnit {
            try intake(database, events: (logouts + 1)...(2 * logouts), rps: rps, group: fanoutGroup, now: now) * rps
        }.microseconds
        let (outcome, finished) = try CPUTime.perUnit { try claimAndStore(database, rps: rps, now: now) }
        guard finished == logouts * rps else { throw FloorError("floor: \(finished) of \(logouts * rps) outcomes") }
        return Figures(
            logoutMicroseconds: logout,
            intakeMicroseconds: withDeliveries,
            claimAndOutcomeMicroseconds: outcome
        )
    }

    /// Returns the logouts recorded.
    static func intake(
        _ database: DatabaseQueue,
        events: ClosedRange<Int>,
        rps: Int,
        group: Int,
        now: Int64
    ) throws
        -> Int
    {
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous=FULL")
            let event = try db.cachedStatement(
                sql: """
                    INSERT INTO events (id, received_at, source, iss, sub, jti, token_hash, outcome, deliveries,
                        client_address)
                    VALUES (?, ?, 'backchannel', 'https://idp.example', ?, ?, ?, 'accepted', ?, '127.0.0.1')
                    """
            )
            let replay = try db.cachedStatement(
                sql:
                    "INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at) VALUES ('es256', ?, ?, ?, ?)"
            )
            // One row a statement: a multi-row `VALUES` makes SQLite journal the statement to a
            // temporary file (a foreign key on a multi-row write), dearer in CPU than the
            // executions it saves (docs/benchmarks.md, issue 24's twelfth slice).
            let delivery = try db.cachedStatement(
                sql: """
                    INSERT INTO deliveries (event_id, client_id, sub, status, created_at, next_attempt_at)
                    VALUES (?, ?, ?, 'pending', ?, ?)
                    """
            )
            let hash = String(repeating: "h", count: 43)
            for chunk in stride(from: events.lowerBound, through: events.upperBound, by: group) {
                try db.inTransaction(.immediate) {
                    for id in chunk...min(chunk + group - 1, events.upperBound) {
                        let jti = "jti-\(id)"
                        try event.execute(arguments: [id, now, "user-\(id)", jti, hash, rps])
                        try replay.execute(arguments: [jti, hash, id, now + 600_000])
                        for rp in 0..<rps {
                            try delivery.execute(arguments: [id, "rp\(rp)", "user-\(id)", now, now])
                        }
                    }
                    return .commit
                }
            }
            return events.count
        }
    }

    /// Claims due deliveries RP by RP (a read) and stores their outcomes; returns how many.
    static func claimAndStore(_ database: DatabaseQueue, rps: Int, now: Int64) throws -> Int {
        try database.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA synchronous=NORMAL")
            let due = try db.cachedStatement(
                sql: """
                    SELECT id FROM deliveries WHERE client_id = ? AND status IN ('pending', 'retrying')
                        AND next_attempt_at <= ? ORDER BY next_attempt_at LIMIT ?
                    """
            )
            let outcome = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET status = 'delivered', attempts = 1, next_attempt_at = NULL,
                        delivered_at = ?, last_status_code = 200, finished_at = ?
                    WHERE id = ?
                    """
            )
            let attempt = try db.cachedStatement(
                sql: """
                    INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, jti)
                    VALUES (?, 1, ?, 2, 200, ?)
                    """
            )
            var finished = 0
            while true {
                var claimed: [Int64] = []
                for rp in 0..<rps {
                    claimed += try Int64.fetchAll(due, arguments: ["rp\(rp)", now, outcomesPerCommit / rps])
                }
                if claimed.isEmpty { return finished }
                try db.inTransaction(.immediate) {
                    for id in claimed {
                        try outcome.execute(arguments: [now, now, id])
                        try attempt.execute(arguments: [id, now, "jti-\(id)"])
                    }
                    return .commit
                }
                finished += claimed.count
            }
        }
    }
}
