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
        let counts = try await Self.purgeAsShipped(store, at: now)
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
        let counts = try await Self.purgeAsShipped(store, at: f.now)
        #expect(counts.replayRecords == 40_000)
        // 160 statements of 250 rows take far more than one turn of a millisecond: at least two
        // turns for the replay records, and one (empty) for the rejected events.
        #expect(store.committer.committedBatches.redeliverable - before >= 3)
    }

    /// Events past the retention, with their deliveries and attempts, and sessions expired or
    /// ended long ago, go in turns too, each going on from the last row it deleted: the events
    /// whose deliveries still wait, and whose plan is not yet rows, stay however many turns pass
    /// them, and a security event loses its link to a deleted event, not itself.
    @Test func eventsAndSessionsPastTheRetentionGoInTurnsAndNothingElse() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        try await store.insertRelyingParty(f.rp("rp"))
        let now = f.now.column
        let old = (f.now - .seconds(31 * 86_400)).column
        let recent = (f.now - .seconds(86_400)).column
        try await store.pool.writeWithoutTransaction { db in
            // The security events' stream is not the point here.
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            defer { try? db.execute(sql: "PRAGMA foreign_keys = ON") }
            try db.inTransaction {
                let session = try db.makeStatement(
                    sql: """
                        INSERT INTO sessions (issuer_name, sub, client_id, rp_sub, created_at, expires_at, ended_at)
                        VALUES ('idp', ?, 'rp', 'x', ?, ?, ?)
                        """
                )
                for i in 0..<600 {
                    let (expires, ended): (Int64?, Int64?) =
                        [(now - 1, nil), (nil, old), (nil, nil), (nil, recent)][i % 4]
                    try session.execute(arguments: ["u\(i)", old, expires, ended])
                }
                let event = try db.makeStatement(
                    sql:
                        "INSERT INTO events (id, received_at, source, outcome) VALUES (?, ?, 'backchannel', 'accepted')"
                )
                let delivery = try db.makeStatement(
                    sql: """
                        INSERT INTO deliveries (event_id, client_id, status, created_at, next_attempt_at)
                        VALUES (?, 'rp', ?, ?, ?)
                        """
                )
                let attempt = try db.makeStatement(
                    sql:
                        "INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, jti) VALUES (?, 1, ?, 1, 'j')"
                )
                for id in Int64(1)...2_050 {
                    try event.execute(arguments: [id, id > 2_000 ? recent : old])
                    guard id <= 2_000 else { continue }
                    for _ in 0..<3 {
                        try delivery.execute(arguments: [id, "delivered", old, nil])
                        try attempt.execute(arguments: [db.lastInsertedRowID, old])
                    }
                    switch id % 10 {
                    case 0: try delivery.execute(arguments: [id, "retrying", old, now])
                    case 5:
                        try db.execute(
                            sql: "INSERT INTO pending_fanouts (event_id, created_at, plan) VALUES (?, ?, '[]')",
                            arguments: [id, old]
                        )
                    case 1:
                        try db.execute(
                            sql: """
                                INSERT INTO ssf_events (stream_id, event_id, jti, claims, status, created_at)
                                VALUES ('s', ?, ?, '{}', 'delivered', ?)
                                """,
                            arguments: [id, "set-\(id)", old]
                        )
                    default: break
                    }
                }
                return .commit
            }
        }
        let before = store.committer.committedBatches
        let counts = try await Self.purgeAsShipped(store, at: f.now)
        #expect(counts.sessions == 300, "expired, or ended past the retention")
        #expect(counts.events == 1_600, "all old ones but 200 with a waiting delivery and 200 with a plan")
        let left = try await store.pool.read { db in
            try [
                "SELECT COUNT(*) FROM sessions", "SELECT COUNT(*) FROM events",
                "SELECT COUNT(*) FROM events WHERE received_at = \(recent)", "SELECT COUNT(*) FROM deliveries",
                "SELECT COUNT(*) FROM attempts", "SELECT COUNT(*) FROM ssf_events WHERE event_id IS NULL",
                "SELECT COUNT(*) FROM deliveries d LEFT JOIN events e ON e.id = d.event_id WHERE e.id IS NULL",
            ].map { try Int.fetchOne(db, sql: $0) ?? -1 }
        }
        #expect(left == [300, 450, 50, 1_400, 1_200, 200, 0])
        let after = store.committer.committedBatches
        #expect(after.onDisk == before.onDisk)
        // One turn each for the replay records and the rejected events, which have none; the
        // 1,600 events and their 9,600 rows take many more, each a millisecond at most.
        #expect(after.redeliverable - before.redeliverable >= 10)
    }

    /// SETs past `ssf.retention` go in the same turns, and those never delivered are counted
    /// exactly, however many statements the purge takes.
    @Test func setsPastTheirRetentionGoInTurnsAndTheUndeliveredAreCountedExactly() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        try await store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await store.insertStream(f.stream("s1", receiver: "siem"))
        let old = (f.now - .seconds(8 * 86_400)).column
        try await store.pool.write { db in
            let insert = try db.makeStatement(
                sql: """
                    INSERT INTO ssf_events (stream_id, jti, claims, status, created_at, next_attempt_at)
                    VALUES ('s1', ?, '{}', ?, ?, ?)
                    """
            )
            for i in 0..<1_510 {
                // Every third one never delivered; the last 10 within the retention. Equal
                // times, so the batches' order rests on the ids.
                let status = ["delivered", "pending", "held", "delivered", "failed", "delivered"][i % 6]
                try insert.execute(arguments: [
                    "set-\(i)", status, i < 1_500 ? old - Int64(i % 7) : f.now.column,
                    status == "pending" ? old : nil,
                ])
            }
        }
        let before = store.committer.committedBatches
        let purged = try await store.purgeSecurityEvents(before: f.now - .seconds(7 * 86_400))
        #expect(purged.deleted == 1_500 && purged.undelivered == 500)
        let left = try await store.pool.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ssf_events") }
        #expect(left == 10)
        let after = store.committer.committedBatches
        #expect(after.onDisk == before.onDisk)
        #expect(after.redeliverable > before.redeliverable, "the group commit's queue work, not a write of its own")
    }

    /// The walk jumps over ids that no longer exist: every purge starts from the first id, and
    /// the long-purged history before the oldest row kept would otherwise cost a statement per
    /// window, more every day.
    @Test func aWalkJumpsOverIdsLongPurged() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let old = (f.now - .seconds(31 * 86_400)).column
        try await store.pool.write { db in
            for id in Int64(50_000_000)..<50_000_100 {
                try db.execute(
                    sql: "INSERT INTO events (id, received_at, source, outcome) VALUES (?, ?, 'x', 'accepted')",
                    arguments: [id, old]
                )
            }
        }
        let before = store.committer.committedBatches.redeliverable
        let counts = try await Self.purgeAsShipped(store, at: f.now)
        #expect(counts.events == 100)
        // A few turns for 100 events and the rest; 100,000 windows of ids long gone, a statement
        // each, would take hundreds.
        #expect(store.committer.committedBatches.redeliverable - before <= 30)
    }

    /// The purge with the default retentions: 30 days, 7 for rejected requests.
    static func purgeAsShipped(_ store: LogoutDatabase, at now: Timestamp) async throws -> PurgeCounts {
        try await store.purge(now: now, retention: .seconds(30 * 86_400), rejectedRetention: .seconds(7 * 86_400))
    }
}
