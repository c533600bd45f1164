import Foundation
import Logging
import PostgresNIO
import TestSupport
import Testing

@testable import LogoutPostgres

/// A replica cut off from PostgreSQL, or paused, in the middle of a transaction: its session
/// sits idle inside it, and with it the row locks it took (a claim locks its RP's row). The
/// store's sessions ask the server to end such a session after twice the operation timeout,
/// by which time the replica itself has long given the operation up; the other replicas'
/// claims go on. Found by the partition test: without it they waited for TCP, hours.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresIdleTransactionTests {
    @Test func aSessionLeftInsideATransactionIsEndedAndItsLocksWithIt() async throws {
        let url = try await TestPostgres.freshDatabase()
        let logger = Logger(label: "test")
        // The first connection is bounded by the same 3 s as every operation, which a loaded CI
        // machine starting several clusters at once has exceeded; the start is not what this
        // test is about, so it may take a few tries.
        var opened: PostgresStore?
        for _ in 0..<5 where opened == nil {
            opened = try? await PostgresStore.open(
                PostgresLocation(url: url),
                password: nil,
                owner: "stalled",
                operationTimeout: .seconds(3),
                logger: logger
            )
        }
        let store = try #require(opened, "the store did not open in five tries")
        defer { store.close() }
        try await TestPostgres.execute("CREATE TABLE held (id INT PRIMARY KEY)", on: url)
        try await TestPostgres.execute("INSERT INTO held VALUES (1)", on: url)
        let locked = AsyncStream<Void>.makeStream()
        let stalled = Task {
            try await store.client.withConnection { connection in
                _ = try await connection.query("BEGIN", logger: logger)
                _ = try await connection.query("SELECT id FROM held FOR UPDATE", logger: logger)
                locked.continuation.finish()
                // Stopped dead mid-transaction: nothing more reaches the server. (Nothing is
                // sent afterwards either: postgres-nio never answers a statement sent on a
                // connection the server has closed.)
                try await Task.sleep(for: .seconds(12))
            }
        }
        for await _ in locked.stream {}
        let lock = "SELECT id FROM held FOR UPDATE NOWAIT"
        await #expect(throws: (any Error).self, "the row is locked while the session is young") {
            try await TestPostgres.execute(lock, on: url)
        }
        let clock = ContinuousClock()
        let started = clock.now
        let freed = await eventually(timeout: 11, interval: 0.1) {
            (try? await TestPostgres.execute(lock, on: url)) != nil
        }
        #expect(freed, "the lock outlived twice the operation timeout")
        #expect(clock.now - started < .seconds(10), "twice the operation timeout is 6 s")
        let idle = try await TestPostgres.query(
            "SELECT count(*)::text FROM pg_stat_activity WHERE state = 'idle in transaction' AND datname = current_database()",
            on: url
        )
        #expect(idle == [["0"]], "the server ended the stalled session")
        stalled.cancel()
    }
}
