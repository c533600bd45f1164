import Foundation
import Logging
import LogoutCore
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import LogoutPostgres

/// The server going away under a replica: each operation answers (an error, or its result on
/// another connection) within the operation timeout, never hangs (IN-17: a 503, not a request
/// that never ends; Q-1: the delivery loop goes on once the server is back).
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresOutageTests {
    /// Each operation's bound. An operation that waits for it fails (its error is checked); one
    /// that recovers takes a fraction of a second, so the bound is far from both, for a loaded
    /// 2-core machine.
    let timeout = Duration.seconds(30)

    func store(_ url: String) async throws -> PostgresStore {
        try await PostgresStore.open(
            try PostgresLocation(url: url),
            password: nil,
            owner: "replica",
            operationTimeout: timeout,
            logger: .init(label: "test")
        )
    }

    /// The server process of a transaction's connection ends between two of its statements (a
    /// restart, a failover, `pg_terminate_backend`). postgres-nio never answers the next
    /// statement written to that closed connection; it found the delivery loop of a replica
    /// waiting on it for good after a database restart. The transaction is run again on
    /// another connection instead, since nothing of it was committed.
    @Test func aTransactionWhoseConnectionDiesBetweenStatementsRunsAgainElsewhere() async throws {
        let url = try await TestPostgres.freshDatabase()
        let store = try await store(url)
        defer { store.close() }
        let runs = Mutex(0)
        let finished = Mutex<Result<Int64, any Error>?>(nil)
        let started = ContinuousClock.now
        // Not awaited: without the fix this never ends, and the test must fail, not hang.
        Task {
            do {
                let pid = try await store.write { db -> Int64 in
                    let pid = try await db.value("SELECT pg_backend_pid()::BIGINT", as: Int64.self) ?? 0
                    if runs.withLock({
                        $0 += 1; return $0
                    }) == 1 {
                        try await TestPostgres.execute("SELECT pg_terminate_backend(\(pid))", on: url)
                        // The server's end of the connection reaches postgres-nio.
                        #expect(await eventually(timeout: 20) { db.connection.isClosed })
                    }
                    try await db.execute("SELECT 2")
                    return pid
                }
                finished.withLock { $0 = .success(pid) }
            } catch {
                finished.withLock { $0 = .failure(error) }
            }
        }
        #expect(await eventually(timeout: 60, interval: 0.05) { finished.withLock { $0 != nil } })
        #expect(ContinuousClock.now - started < timeout)
        #expect(runs.withLock { $0 } == 2)
        #expect(throws: Never.self) { try finished.withLock { $0 }?.get() }
    }

    /// After a restart every pooled connection is dead: the first operations of the replica
    /// find that out without failing or waiting for the timeout.
    @Test func aRestartedServerCostsNoFailedOperation() async throws {
        let cluster = try await TestPostgres.privateCluster()
        defer { Task { await cluster.stop() } }
        let store = try await store(cluster.url)
        defer { store.close() }
        // Several connections in the pool.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask { _ = try await store.read { db in try await db.execute("SELECT pg_sleep(0.2)") } }
            }
            try await group.waitForAll()
        }
        try await cluster.control("restart")
        let started = ContinuousClock.now
        for _ in 0..<8 {
            await #expect(throws: Never.self) { try await store.write { db in try await db.execute("SELECT 1") } }
        }
        #expect(ContinuousClock.now - started < timeout)
    }
}
