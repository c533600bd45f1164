import Foundation
import Logging
import LogoutCore
import LogoutPostgres
import LogoutStorage
import ServiceLifecycle

/// The store the daemon runs on, chosen by configuration: the embedded SQLite file (one daemon,
/// held by a lock file next to it) or the PostgreSQL database several replicas share.
///
/// It is also the store's service, first in the daemon's group: graceful shutdown reaches it
/// after every service that uses the store has stopped, and it closes the store at the end of
/// its run (the file, or the pool's connections). Opening starts nothing. The file's lock is
/// held for as long as the backend exists.
struct StoreBackend: Service {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// What is open, and so what the run keeps and closes.
    private enum Resource: Sendable {
        case file(LogoutDatabase, lock: ProcessLock)
        case server(PostgresStore)
    }

    let store: any LogoutStore
    /// Where the store is, for logs (no secret in it).
    let location: String
    /// Set when replicas share the store: `LISTEN/NOTIFY` wakes their dispatchers.
    let shared: (any SharedStore)?
    private let resource: Resource
    private let logger: Logger

    var isShared: Bool { shared != nil }

    /// The schema an older release left in the file, when this start migrated it; PostgreSQL's
    /// migrations log themselves.
    var upgradedFrom: String? {
        switch resource {
        case .file(let database, _): return database.upgradedFrom
        case .server: return nil
        }
    }

    /// The last migration applied, for the start-up log line (after `prepare()`).
    var schemaVersion: String {
        switch resource {
        case .file(let database, _): return database.schemaVersion
        case .server(let store): return store.schemaVersion
        }
    }

    /// The SQLite file is opened and migrated here (GRDB's way: one owner of the pool, migrations
    /// in its `init`); PostgreSQL is only reached once by hand, so that a server that will not let
    /// us in fails the start with its cause. Its pool runs in `run()`, its migrations in
    /// `prepare()`.
    static func open(_ config: LogoutdConfiguration, logger: Logger) async throws -> StoreBackend {
        guard let url = config.databaseURL else {
            let lock = try ProcessLock(path: config.databasePath + ".lock")
            let database = try LogoutDatabase(path: config.databasePath, busyTimeout: config.databaseBusyTimeout)
            return StoreBackend(
                store: database,
                location: config.databasePath,
                shared: nil,
                resource: .file(database, lock: lock),
                logger: logger
            )
        }
        let store = try await PostgresStore.connect(
            PostgresLocation(url),
            password: try databasePassword(config),
            owner: replicaName(config),
            perRPLeaseCap: config.perRPConcurrency,
            operationTimeout: operationTimeout(config),
            maximumConnections: config.databaseMaxConnections,
            logger: logger
        )
        return StoreBackend(
            store: store,
            location: url.description,
            shared: store,
            resource: .server(store),
            logger: logger
        )
    }

    /// What must be done with the store running before anything else uses it: PostgreSQL's
    /// migrations (the file was migrated when it was opened).
    func prepare() async throws {
        if case .server(let store) = resource { try await store.migrate() }
    }

    func run() async throws {
        switch resource {
        case .server(let store):
            await store.run()
        case .file(let database, _):
            try? await gracefulShutdown()
            do {
                try database.close()
            } catch {
                logger.warning("the database did not close cleanly", metadata: ["error": "\(error)"])
            }
        }
    }

    /// How long one PostgreSQL operation, and the first connection at start, may take.
    static func operationTimeout(_ config: LogoutdConfiguration) -> Duration {
        max(config.databaseBusyTimeout, .seconds(1))
    }

    /// `LOGOUTD_DATABASE_PASSWORD`, else the credential file `database-password`, else none
    /// (trust or certificate authentication).
    static func databasePassword(_ config: LogoutdConfiguration) throws -> String? {
        if let password = ProcessInfo.processInfo.environment["LOGOUTD_DATABASE_PASSWORD"], !password.isEmpty {
            return password
        }
        guard let file = config.databasePasswordFile else { return nil }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw LogoutdConfiguration.Failure(description: "the credential \(file) cannot be read")
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    /// The name this replica's leases carry: its host and public address, stable across its
    /// restarts, so that a restart releases its own leases and no other replica's.
    static func replicaName(_ config: LogoutdConfiguration) -> String {
        ProcessInfo.processInfo.hostName + "/" + config.publicListen.description
    }
}

/// `check-config`'s look at the store: PostgreSQL is reached with the configured settings.
public enum StoreCheck {
    /// The configuration is valid but the server does not let us in: the start would fail too.
    public struct Unreachable: Error, CustomStringConvertible {
        public let description: String
    }

    /// `nil` for the SQLite file (opened at start); a line about the server otherwise.
    /// - Throws: when the server cannot be reached or refuses the credentials, with the line the
    ///   daemon's start would fail with, after as long as the start would wait.
    public static func run(_ config: LogoutdConfiguration) async throws -> String? {
        guard let url = config.databaseURL else { return nil }
        let password = try StoreBackend.databasePassword(config)
        do {
            return try await PostgresStore.check(
                PostgresLocation(url),
                password: password,
                timeout: StoreBackend.operationTimeout(config),
                logger: Logger(label: "logoutd.check-config")
            )
        } catch let failure as PostgresConnectFailure {
            throw Unreachable(description: failure.description)
        }
    }

    /// What the daemon warns of at start about the store (`sslmode=require`).
    public static func warnings(_ config: LogoutdConfiguration) -> [String] {
        config.databaseURL.flatMap { PostgresLocation($0).certificateWarning }.map { [$0] } ?? []
    }
}

extension PostgresLocation {
    /// `database.url` in the store's terms.
    init(_ url: DatabaseURL) {
        let tls: TLSMode
        switch url.sslMode {
        case .disable: tls = .disable
        case .require: tls = .require
        case .verifyCA: tls = .verifyCA
        case .verifyFull: tls = .verifyFull
        }
        self.init(
            host: url.host,
            port: url.port,
            user: url.user,
            database: url.database,
            tls: tls,
            rootCertificates: url.rootCertificates,
            alternates: url.alternates.map { Endpoint(host: $0.host, port: $0.port) },
            requiresPrimary: url.requiresPrimary
        )
    }
}
