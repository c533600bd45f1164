import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// An admin's writes to all of an RP's deliveries (a recovery, a skip when it is disabled) run in
/// turns of the writer, each fsync'd: after a long outage they may change millions of rows, and
/// in one transaction every acknowledgement waited for all of them.
@Suite struct BulkTurnsTests {
    @Test func aLargeRecoveryTakesManyDurableTurnsAndQueuesExactlyWhatItShould() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let since = f.now - .seconds(3_600)
        let (inside, before) = ((since + .seconds(60)).column, (since - .seconds(60)).column)
        try await store.pool.write { db in
            try db.execute(
                sql: "INSERT INTO events (id, received_at, source, outcome) VALUES (1, ?, 'x', 'accepted')",
                arguments: [inside]
            )
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO deliveries (event_id, client_id, status, created_at, finished_at, reason)
                    VALUES (1, ?, ?, ?, ?, 'down')
                    """
            )
            // Interleaved, so that every turn passes rows it must leave alone.
            for i in 0..<13_000 {
                let (client, status, created): (String, String, Int64) =
                    switch i % 13 {
                    case 0...7: ("down", "failed", inside)
                    case 8, 9: ("down", "skipped", inside)
                    case 10: ("down", "failed", before)
                    case 11: ("other", "failed", inside)
                    default: ("down", "delivered", inside)
                    }
                try insert.execute(arguments: [client, status, created, inside])
            }
        }
        let batches = store.committer.committedBatches
        let queued = try await store.recoverDeliveries(clientID: "down", since: since, now: f.now)
        #expect(queued == 10_000)
        let rows = try await store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT client_id, status, created_at = ? AS restarted, next_attempt_at = ? AS due,
                        reason IS NULL AND finished_at IS NULL AS cleared, count(*) AS n
                    FROM deliveries GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2
                    """,
                arguments: [f.now.column, f.now.column]
            ).map {
                "\($0["client_id"] as String) \($0["status"] as String) \($0["restarted"] as Bool) \($0["due"] as Bool?) \($0["cleared"] as Bool) \($0["n"] as Int)"
            }
        }
        #expect(
            rows == [
                "down delivered false nil false 1000", "down failed false nil false 1000",
                "down pending true Optional(true) true 10000", "other failed false nil false 1000",
            ]
        )
        // Several turns, each its own fsync'd commit (one transaction in all before): 10,000
        // rows take far more than the 10 ms a turn may run.
        #expect(store.committer.committedBatches.onDisk - batches.onDisk >= 4)
    }

    /// Disabling an RP skips its waiting deliveries in turns, passing over those under a lease
    /// (their attempt decides), whichever turn reaches them.
    @Test func aLargeSkipTakesManyDurableTurnsAndLeavesLeasedDeliveriesToTheirAttempts() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let (due, later) = ((f.now - .seconds(1)).column, (f.now + .seconds(600)).column)
        for rp in ["down", "other"] { try await store.insertRelyingParty(f.rp(rp)) }
        try await store.pool.write { db in
            let insert = try Self.deliveriesOfOneEvent(db, receivedAt: due)
            for i in 0..<12_000 {
                let (client, status, next): (String, String, Int64?) =
                    switch i % 12 {
                    case 0...5: ("down", "retrying", i < 600 ? due : later)
                    case 6...9: ("down", "pending", later)
                    case 10: ("other", "pending", later)
                    default: ("down", "delivered", nil)
                    }
                try insert.execute(arguments: [client, status, due, next])
            }
        }
        // Five of the RP's due deliveries under a lease, spread over the first ids.
        let claim = ClaimRequest(limit: 5, available: [:], defaultAvailable: 5, rotation: 0, lease: .seconds(30))
        let leased = try await store.claimDue(claim, now: f.now).map(\.id)
        #expect(leased.count == 5)
        let batches = store.committer.committedBatches
        let skipped = try await store.skipWaitingDeliveries(clientID: "down", reason: "the RP is disabled", now: f.now)
        #expect(skipped == 10_000 - 5)
        let left = try await store.pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT client_id, status, count(*) AS n FROM deliveries
                    WHERE status != 'skipped' OR (reason = 'the RP is disabled' AND next_attempt_at IS NULL)
                    GROUP BY 1, 2 ORDER BY 1, 2
                    """
            ).map { "\($0["client_id"] as String) \($0["status"] as String) \($0["n"] as Int)" }
        }
        #expect(left == ["down delivered 1000", "down retrying 5", "down skipped 9995", "other pending 1000"])
        let stillWaiting = try await store.pool.read { db in
            try Int64.fetchAll(
                db,
                sql: "SELECT id FROM deliveries WHERE client_id = 'down' AND status = 'retrying' ORDER BY id"
            )
        }
        #expect(stillWaiting == leased.sorted())
        #expect(store.committer.committedBatches.onDisk - batches.onDisk >= 4)
    }

    /// Removing an RP deletes its sessions and fails its waiting deliveries in turns first, then
    /// the row: the same end state as one transaction, nobody else's rows touched.
    @Test func removingAnRPWithManySessionsTakesTurnsAndLeavesNothingOfIt() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        for rp in ["gone", "kept"] { try await store.insertRelyingParty(f.rp(rp)) }
        let now = f.now.column
        try await store.pool.write { db in
            let session = try db.makeStatement(
                sql:
                    "INSERT INTO sessions (issuer_name, sub, client_id, rp_sub, created_at) VALUES ('idp', ?, ?, 'x', ?)"
            )
            for i in 0..<12_000 { try session.execute(arguments: ["u\(i)", i % 4 == 0 ? "kept" : "gone", now]) }
            let delivery = try Self.deliveriesOfOneEvent(db, receivedAt: now)
            for i in 0..<3_000 {
                let status = ["pending", "retrying", "delivered"][i % 3]
                try delivery.execute(arguments: [
                    i % 5 == 0 ? "kept" : "gone", status, now, status == "delivered" ? nil : now,
                ])
            }
        }
        let batches = store.committer.committedBatches
        try await store.deleteRelyingParty(clientID: "gone")
        let left = try await store.pool.read { db in
            try [
                "SELECT COUNT(*) FROM relying_parties WHERE client_id = 'gone'",
                "SELECT COUNT(*) FROM sessions WHERE client_id = 'gone'",
                "SELECT COUNT(*) FROM sessions WHERE client_id = 'kept'",
                "SELECT COUNT(*) FROM deliveries WHERE client_id = 'gone' AND status IN ('pending', 'retrying')",
                "SELECT COUNT(*) FROM deliveries WHERE client_id = 'gone' AND status = 'failed' AND reason = 'the RP was removed' AND finished_at IS NOT NULL",
                "SELECT COUNT(*) FROM deliveries WHERE client_id = 'kept' AND status IN ('pending', 'retrying')",
            ].map { try Int.fetchOne(db, sql: $0) ?? -1 }
        }
        #expect(left == [0, 0, 3_000, 0, 1_600, 400])
        let after = store.committer.committedBatches
        // 9,000 sessions in turns of at most a millisecond, then the deliveries' turns.
        #expect(after.redeliverable - batches.redeliverable >= 2)
        #expect(after.onDisk - batches.onDisk >= 2)
    }

    /// Event 1, and a statement that adds a delivery of it: client, status, created, next attempt.
    static func deliveriesOfOneEvent(_ db: Database, receivedAt: Int64) throws -> Statement {
        try db.execute(
            sql: "INSERT INTO events (id, received_at, source, outcome) VALUES (1, ?, 'x', 'accepted')",
            arguments: [receivedAt]
        )
        return try db.makeStatement(
            sql:
                "INSERT INTO deliveries (event_id, client_id, status, created_at, next_attempt_at) VALUES (1, ?, ?, ?, ?)"
        )
    }
}
