import Foundation
import Logging
import LogoutCore
import LogoutPostgres
import LogoutStorage

/// The store the daemon runs on, chosen by configuration: the embedded SQLite file (one daemon,
/// held by a lock file next to it) or the PostgreSQL database several replicas share.
struct StoreBackend: Sendable {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    let store: any LogoutStore
    /// Where the store is, for logs (no secret in it).
    let location: String
    let schemaVersion: String
    /// The SQLite file's lock: one daemon per file. Replicas of a shared store need none.
    let lock: ProcessLock?
    /// Set when replicas share the store: `LISTEN/NOTIFY` wakes their dispatchers.
    let shared: PostgresStore?
    private let closeStore: @Sendable () throws -> Void

    var isShared: Bool { shared != nil }

    func close() throws { try closeStore() }

    static func open(_ config: LogoutdConfiguration, logger: Logger) async throws -> StoreBackend {
        guard let url = config.databaseURL else {
            let lock = try ProcessLock(path: config.databasePath + ".lock")
            let database = try LogoutDatabase(path: config.databasePath, busyTimeout: config.databaseBusyTimeout)
            return StoreBackend(
                store: database,
                location: config.databasePath,
                schemaVersion: database.schemaVersion,
                lock: lock,
                shared: nil,
                closeStore: { try database.close() }
            )
        }
        let store = try await PostgresStore.open(
            url,
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
            schemaVersion: store.schemaVersion,
            lock: nil,
            shared: store,
            closeStore: { store.close() }
        )
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
                url,
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
        config.databaseURL?.certificateWarning.map { [$0] } ?? []
    }
}
