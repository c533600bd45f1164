import Foundation
import TestSupport
import Testing

/// The real binary started against a PostgreSQL it cannot use: `serve` exits non-zero within
/// `database.busy_timeout` (2 s by default) with one line naming the cause and the fix, and
/// `check-config` tells the same. The pool used to retry in silence, `PSQLError(code:
/// sslUnsupported)` at `info`, and the daemon never became ready nor ended.
@Suite(.serialized, .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresStartEndToEndTests {
    /// busy_timeout, and what starting a debug binary on a loaded 2-core machine adds; the pool
    /// used to wait 60 s and more.
    static let bound = 2.0 + 20.0

    enum Case: String, CaseIterable, Sendable {
        case noSSLMode, wrongPassword, unknownDatabase, closedPort
    }

    /// The `database.url`, the password, and what the line must say.
    static func setting(_ kind: Case) async throws -> (url: String, password: String?, line: String) {
        let cluster = try await TestPostgres.serverURL()
        switch kind {
        case .noSSLMode:
            let url = cluster.replacingOccurrences(of: "?sslmode=disable", with: "")
            return (url, nil, "does not offer TLS, which sslmode=verify-full requires: add ?sslmode=disable")
        case .wrongPassword:
            let url = try await TestPostgres.passwordUser(password: "right-\(UUID())")
            return (url, "wrong-\(UUID())", "refuses the password of user")
        case .unknownDatabase:
            return (
                cluster.replacingOccurrences(of: "/postgres?", with: "/no_such_database?"),
                nil, "has no database no_such_database: create it"
            )
        case .closedPort:
            let port = freeLoopbackPort()
            return ("postgres://logoutd@127.0.0.1:\(port)/postgres", nil, "nothing listens at 127.0.0.1:\(port)")
        }
    }

    @Test(arguments: Case.allCases)
    func aStartThatCannotConnectEndsWithOneLine(kind: Case) async throws {
        let (url, password, line) = try await Self.setting(kind)
        let daemon = try DaemonProcess(database: url)
        if let password { daemon.environment["LOGOUTD_DATABASE_PASSWORD"] = password }
        let started = Date()
        try daemon.launch()
        let status = await daemon.waitForExit(timeout: Self.bound)
        let elapsed = Date().timeIntervalSince(started)
        defer { Task { await daemon.stop() } }
        #expect(status == 1, "still running or ended \(String(describing: status)) after \(elapsed) s:\n\(daemon.log)")
        #expect(elapsed < Self.bound)
        let lines = daemon.log.split(separator: "\n")
        let told = lines.filter { $0.contains(line) }
        #expect(told.count == 1, "\(daemon.log)")
        #expect(told.first?.contains("critical") == true && told.first?.contains("cannot start") == true)
        #expect(!daemon.log.contains("Connection creation failed"))
        if let password { #expect(!daemon.log.contains(password)) }

        var environment = ProcessInfo.processInfo.environment
        environment["LOGOUTD_DATABASE_PASSWORD"] = password
        let check = try await ChildProcess.run(
            DaemonProcess.binary,
            ["check-config", "--config", daemon.configPath],
            environment: environment
        )
        #expect(check.status == 1)
        #expect(check.errors.hasPrefix("logoutd: cannot connect to the database: ") && check.errors.contains(line))
    }
}
