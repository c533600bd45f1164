import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// An admin's recovery of an RP's failed and skipped deliveries runs in turns of the writer,
/// each fsync'd: after a long outage it may queue millions again, and in one transaction every
/// acknowledgement waited for all of them.
@Suite struct RecoveryInTurnsTests {
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
}
