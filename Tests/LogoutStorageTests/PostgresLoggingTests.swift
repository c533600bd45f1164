import Foundation
import Logging
import LogoutCore
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import LogoutPostgres

/// The store's logger may be at `trace` (an operator chasing a problem); the driver's must not
/// follow it there: at `trace` postgres-nio logs every message from the server, rows included,
/// and rows hold token hashes and sealed secrets.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresLoggingTests {
    typealias Lines = CapturedLog.Lines
    typealias Capture = CapturedLog

    @Test func rowsNeverReachTheLogAtTrace() async throws {
        let lines = Lines()
        let shared = Capture(lines: lines)
        var logger = Logger(label: "test") { _ in shared }
        logger.logLevel = Logger.Level.trace
        let store = try await PostgresStore.open(
            try PostgresLocation(url: try await TestPostgres.freshDatabase()),
            password: nil,
            owner: "replica",
            // The default 5 s bounds the first connection too; a loaded machine took longer.
            operationTimeout: .seconds(30),
            logger: logger
        )
        defer { store.close() }
        let secret = "row-value-\(UUID().uuidString)"
        let read = try await store.read { db in try await db.value("SELECT \(secret)::TEXT", as: String.self) }
        #expect(read == secret)
        #expect(store.driverLogger.logLevel == Logger.Level.info)
        // The driver shows a row's bytes in hexadecimal.
        let hex = secret.utf8.prefix(16).map { String(format: "%02x", $0) }.joined()
        #expect(!lines.all.withLock { $0 }.contains { $0.contains(secret) || $0.contains(hex) })
        #expect(!lines.all.withLock { $0 }.isEmpty, "the driver logs nothing at all: the test would prove nothing")
    }
}
