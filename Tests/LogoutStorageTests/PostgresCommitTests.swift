import Logging
import LogoutCore
import PostgresNIO
import TestSupport
import Testing

@testable import LogoutPostgres

/// Q-7 on PostgreSQL: the queue's own writes commit without waiting for the WAL flush, and
/// that setting ends with their transaction, so the pooled connection's next write (a
/// logout's) waits for the flush again.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresCommitTests {
    @Test func onlyQueueWorkCommitsWithoutWaitingForTheFlush() async throws {
        let store = try await PostgresStore.open(
            try PostgresLocation(url: try await TestPostgres.freshDatabase()),
            password: nil,
            owner: "replica",
            operationTimeout: .seconds(30),
            // One connection: each write below finds what the one before it left.
            maximumConnections: 1,
            logger: Logger(label: "test")
        )
        defer { store.close() }
        let setting: @Sendable (PostgresSession) async throws -> String? = { db in
            try await db.value("SHOW synchronous_commit", as: String.self)
        }
        #expect(try await store.write(redeliverable: true, setting) == "off")
        #expect(try await store.write(setting) == "on")
        #expect(try await store.write(redeliverable: true, setting) == "off")
        #expect(try await store.read(setting) == "on")
    }
}
