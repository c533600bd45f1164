import Dispatch
import Foundation
import Logging
import PostgresNIO
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The PostgreSQL server the tests of the shared store use: `LOGOUTD_TEST_POSTGRES_URL` when set
/// (scripts/with-postgres), else a throwaway cluster this test process starts once through
/// scripts/postgres-cluster and stops at exit. Each test gets a database of its own.
///
/// Without PostgreSQL installed the PostgreSQL rows are left out, unless
/// `LOGOUTD_TEST_REQUIRE_POSTGRES=1` (as in .ci/run), which makes their absence a failure instead of
/// a silent skip.
public enum TestPostgres {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    private struct Cluster: Sendable {
        let url: String
        let control: String?
    }

    private static let cluster: Result<Cluster, Unavailable> = start()

    /// Whether the PostgreSQL rows run: a server is there, or is required (and then fails).
    public static var isAvailable: Bool {
        if ProcessInfo.processInfo.environment["LOGOUTD_TEST_REQUIRE_POSTGRES"] == "1" { return true }
        if case .success = cluster { return true }
        return false
    }

    /// The server's URL (of its `postgres` database).
    public static func serverURL() async throws -> String {
        try await started().url
    }

    /// The cluster, started by the first caller on a thread of its own: initdb takes seconds
    /// (far more on a loaded machine), and callers waiting for it on the cooperative threads
    /// starved every other test of the process meanwhile.
    private static func started() async throws -> Cluster {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async { continuation.resume(with: cluster.mapError { $0 as any Error }) }
        }
    }

    /// `stop`, `start` or `restart` of the server, for tests of an outage.
    public static func control(_ action: String) async throws {
        guard let control = try await started().control else {
            throw Unavailable(
                description: "LOGOUTD_TEST_POSTGRES_CTL is not set: this server cannot be stopped by a test"
            )
        }
        let (status, output) = await shell("'\(control)' \(action)")
        guard status == 0 else { throw Unavailable(description: "\(control) \(action) failed: \(output)") }
    }

    /// A cluster of the test's own, for a test that stops and starts its server (others keep
    /// theirs). `stop()` removes it.
    public struct PrivateCluster: Sendable {
        public let url: String
        let folder: String
        let script: String

        public func control(_ action: String) async throws {
            let (status, output) = await shell("'\(folder)/ctl' \(action)")
            guard status == 0 else { throw Unavailable(description: "ctl \(action) failed: \(output)") }
        }

        public func stop() async {
            _ = await shell("'\(script)' stop '\(folder)'")
        }

        /// A synchronous standby of this cluster (streaming replication; this cluster's commits
        /// wait for its flush), a cluster of its own: `control("promote")` makes it a primary.
        public func standby() async throws -> PrivateCluster {
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "logoutd-test-pg-standby-" + UUID().uuidString
            ).path
            let (status, output) = await shell("'\(script)' standby '\(folder)' '\(self.folder)'")
            guard status == 0 else { throw Unavailable(description: "no standby: \(output)") }
            return PrivateCluster(
                url: output.split(separator: "\n").last.map(String.init) ?? "",
                folder: folder,
                script: script
            )
        }

        /// The CA of a cluster started with TLS: its server's certificate names `localhost`.
        public var certificateAuthority: String { folder + "/ca.pem" }
    }

    /// - Parameters:
    ///   - tls: the server offers TLS, with a certificate for `localhost` only.
    ///   - alsoOn: a network namespace of the test's whose replicas reach the server on the
    ///     host's end of its veth pair (the server listens there too and trusts that link).
    public static func privateCluster(
        tls: Bool = false,
        alsoOn link: NetworkNamespace? = nil
    ) async throws
        -> PrivateCluster
    {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "logoutd-test-pg-" + UUID().uuidString
        ).path
        let listen =
            link.map { "LOGOUTD_PG_LISTEN_ALSO=\($0.hostAddress) LOGOUTD_PG_TRUST_FROM=\($0.address)/32 " } ?? ""
        let (status, output) = await shell(
            listen + "LOGOUTD_PG_TLS=\(tls ? "on" : "off") '\(clusterScript)' start '\(folder)'"
        )
        guard status == 0 else { throw Unavailable(description: "no PostgreSQL cluster: \(output)") }
        return PrivateCluster(
            url: output.split(separator: "\n").last.map(String.init) ?? "",
            folder: folder,
            script: clusterScript
        )
    }

    static let clusterScript = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("scripts/postgres-cluster").path

    /// A new, empty database on the server; returns its URL.
    public static func freshDatabase() async throws -> String {
        let url = try await serverURL()
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await execute("CREATE DATABASE \(name)", on: url)
        return url.replacingOccurrences(of: "/postgres?", with: "/\(name)?")
    }

    /// A new user who must give `password` (scripts/postgres-cluster lets the members of
    /// `logoutd_password_login` in by password only), and a database it owns; returns its URL.
    public static func passwordUser(password: String) async throws -> String {
        let url = try await serverURL()
        let name = "r_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await execute(
            "CREATE ROLE \(name) LOGIN PASSWORD '\(password)' IN ROLE logoutd_password_login",
            on: url
        )
        try await execute("CREATE DATABASE \(name) OWNER \(name)", on: url)
        return url.replacingOccurrences(of: "logoutd@", with: "\(name)@")
            .replacingOccurrences(of: "/postgres?", with: "/\(name)?")
    }

    /// Runs one statement on the database of `url` (a test's own setup or inspection).
    public static func execute(_ sql: String, on url: String) async throws {
        _ = try await query(sql, on: url)
    }

    /// The rows of one query; text columns only (cast others with `::text`).
    public static func query(_ sql: String, on url: String) async throws -> [[String?]] {
        try await withConnection(to: url) { connection, logger in
            var rows: [[String?]] = []
            for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger) {
                rows.append(try row.map { cell in try cell.decode(String?.self) })
            }
            return rows
        }
    }

    /// Runs `body` while a transaction of another connection holds `lock` (such as `LOCK TABLE
    /// events IN EXCLUSIVE MODE`) on the database of `url`, then rolls that transaction back.
    public static func whileHolding<T: Sendable>(
        _ lock: String,
        on url: String,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        try await withConnection(to: url) { connection, logger in
            _ = try await connection.query("BEGIN", logger: logger)
            _ = try await connection.query(PostgresQuery(unsafeSQL: lock), logger: logger)
            do {
                let result = try await body()
                _ = try await connection.query("ROLLBACK", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    private static func withConnection<T: Sendable>(
        to url: String,
        _ body: (PostgresConnection, Logger) async throws -> T
    ) async throws -> T {
        guard let components = URLComponents(string: url), let host = components.host,
            let user = components.user
        else { throw Unavailable(description: "not a PostgreSQL URL: \(url)") }
        let configuration = PostgresConnection.Configuration(
            host: host,
            port: components.port ?? 5432,
            username: user,
            password: nil,
            database: String(components.path.dropFirst()),
            tls: .disable
        )
        let logger = Logger(label: "test-postgres")
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: logger)
        do {
            let result = try await body(connection, logger)
            try await connection.close()
            return result
        } catch {
            try? await connection.close()
            throw error
        }
    }

    private static func start() -> Result<Cluster, Unavailable> {
        let environment = ProcessInfo.processInfo.environment
        if let url = environment["LOGOUTD_TEST_POSTGRES_URL"], !url.isEmpty {
            return .success(Cluster(url: url, control: environment["LOGOUTD_TEST_POSTGRES_CTL"]))
        }
        let script = clusterScript
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
            "logoutd-test-pg-\(ProcessInfo.processInfo.processIdentifier)"
        ).path
        // system(3), not Foundation's Process: this runs inside a static initializer, possibly
        // while the test process is already exiting, where waiting for a Process never ends.
        let output = folder + ".url"
        let errors = folder + ".err"
        // No fsync: the suite creates a database per test, under load; no test pulls the power
        // (the outage test stops its own cluster cleanly).
        let status = system("LOGOUTD_PG_FSYNC=off '\(script)' start '\(folder)' >'\(output)' 2>'\(errors)'")
        defer {
            try? FileManager.default.removeItem(atPath: output)
            try? FileManager.default.removeItem(atPath: errors)
        }
        guard status == 0, let url = try? String(contentsOfFile: output, encoding: .utf8) else {
            let reason = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? "status \(status)"
            return .failure(Unavailable(description: "no PostgreSQL for the tests: \(reason)"))
        }
        stopAtExit(script: script, folder: folder)
        return .success(Cluster(url: url.trimmingCharacters(in: .whitespacesAndNewlines), control: folder + "/ctl"))
    }

    /// A command through system(3) on a thread of its own: these commands start a PostgreSQL
    /// server that outlives them, and waiting for them with Foundation's Process never ends.
    static func shell(_ command: String) async -> (Int32, String) {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                let output = FileManager.default.temporaryDirectory.appendingPathComponent(UUID().uuidString).path
                defer { try? FileManager.default.removeItem(atPath: output) }
                let status = system("\(command) >'\(output)' 2>&1")
                let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
                continuation.resume(returning: (status, text.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
        }
    }

    private static let stopCommand = Mutex<(String, String)?>(nil)

    private static func stopAtExit(script: String, folder: String) {
        stopCommand.withLock { $0 = (script, folder) }
        // Foundation's Process cannot be waited for once the process is exiting: system(3) can.
        atexit {
            guard let (script, folder) = TestPostgres.stopCommand.withLock({ $0 }) else { return }
            _ = system("'\(script)' stop '\(folder)' >/dev/null 2>&1")
        }
    }
}
