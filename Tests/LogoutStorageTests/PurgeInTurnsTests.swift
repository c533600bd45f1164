import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// The purge of what every logout leaves behind deletes in small statements, as the group
/// commit's queue work: whatever it has to delete, an acknowledgement waits behind one turn.
@Suite struct PurgeInTurnsTests {
    /// More rows than several statements delete, beside rows that must stay: every expired one
    /// goes, is counted once, and nothing else goes; none of it costs an fsync'd commit.
    @Test func aPurgeOfManyStatementsDeletesExactlyWhatExpired() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let now = f.now
        let expired = (now - .seconds(1)).column
        let valid = (now + .seconds(600)).column
        let old = (now - .seconds(8 * 86_400)).column
        try await store.pool.write { db in
            for i in 0..<1_234 {
                try db.execute(
                    sql: "INSERT INTO replay VALUES ('iss', ?, 'h', 1, ?)",
                    arguments: ["expired-\(i)", i % 2 == 0 ? expired : now.column]
                )
            }
            for i in 0..<5 {
                try db.execute(
                    sql: "INSERT INTO replay VALUES ('iss', ?, 'h', 1, ?)",
                    arguments: ["valid-\(i)", valid]
                )
            }
            for i in 0..<345 {
                try db.execute(
                    sql: "INSERT INTO events (received_at, source, outcome) VALUES (?, 'backchannel', ?)",
                    arguments: [i < 333 ? old : now.column, ["rejected", "deferred", "duplicate"][i % 3]]
                )
            }
        }
        let before = store.committer.committedBatches
        let counts = try await store.purge(
            now: now,
            retention: .seconds(30 * 86_400),
            rejectedRetention: .seconds(7 * 86_400)
        )
        #expect(counts.replayRecords == 1_234, "expired and expiring now, not the 5 valid ones")
        #expect(counts.rejectedEvents == 333)
        let left = try await store.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM replay") ?? -1,
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM events") ?? -1
            )
        }
        #expect(left.0 == 5 && left.1 == 12)
        let after = store.committer.committedBatches
        #expect(after.redeliverable > before.redeliverable)
        #expect(after.onDisk == before.onDisk, "a lost purge is done again by the next: no fsync of its own")
    }

    /// A backlog far larger than one turn is deleted in several, each ending on time even with no
    /// acknowledgement waiting: one item would hold a copy of every page it deletes from in the
    /// writer's memory, and the delivery queue's claims behind it.
    @Test func aLargeBacklogTakesSeveralTurnsWithNobodyWaiting() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let expired = (f.now - .seconds(1)).column
        try await store.pool.write { db in
            let insert = try db.makeStatement(sql: "INSERT INTO replay VALUES ('iss', ?, 'h', 1, ?)")
            for i in 0..<40_000 { try insert.execute(arguments: ["jti-\(i)", expired]) }
        }
        let before = store.committer.committedBatches.redeliverable
        let counts = try await store.purge(
            now: f.now,
            retention: .seconds(30 * 86_400),
            rejectedRetention: .seconds(7 * 86_400)
        )
        #expect(counts.replayRecords == 40_000)
        // 160 statements of 250 rows take far more than one turn of a millisecond: at least two
        // turns for the replay records, and one (empty) for the rejected events.
        #expect(store.committer.committedBatches.redeliverable - before >= 3)
    }
}
