import Foundation
import Logging
import LogoutCore
import PostgresNIO
import Synchronization

/// The shared `LogoutStore` of several replicas: registry, log and durable queue in PostgreSQL.
///
/// Every write is one transaction on a pooled connection with `synchronous_commit = on`, so an
/// acknowledgement follows a commit that is on the server's disk. PostgreSQL groups the WAL
/// flushes of transactions that commit together, which is the group commit the embedded store
/// does by hand. Replicas coordinate through the rows themselves: a unique replay key, row locks
/// taken with `SKIP LOCKED` for claims, leases naming their owner, and breakers in a table.
public final class PostgresStore: LogoutStore {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// The pool of the server in use: the only one, or the primary among those named.
    let pools: PrimaryFollower
    var client: PostgresClient { pools.client }
    let logger: Logger
    /// What the driver logs with: never below `info`, since at `trace` postgres-nio logs every
    /// message from the server, rows (token hashes, sealed secrets) included.
    let driverLogger: Logger
    /// The name this replica's leases carry, so that its next start releases its own leases
    /// only, never those of a replica still running.
    public let owner: String
    /// Leases per RP held at once by all replicas together (the cluster-wide per-RP cap).
    let perRPLeaseCap: Int
    /// How long one operation may wait for the server before the caller gets an error (a 503
    /// for a notifier), instead of hanging while the server is down.
    let operationTimeout: Duration
    let rejections = Mutex(RejectionBuffer())
    public let location: PostgresLocation
    /// The last migration applied, for the start-up log line: `migrate` fails unless all are.
    public var schemaVersion: String { PostgresSchema.migrations.last?.name ?? "?" }

    /// Connects once by hand (`probe`): a server that will not let us in fails the start within
    /// `operationTimeout`, with its cause. The pool starts with `run()`, which must be running
    /// for any operation to proceed (until then they wait, up to their deadline); `migrate()`
    /// comes before the first.
    ///
    /// - Throws: `PostgresConnectFailure` when the first connection fails.
    public static func connect(
        _ location: PostgresLocation,
        password: String?,
        owner: String,
        perRPLeaseCap: Int = 8,
        operationTimeout: Duration = .seconds(5),
        maximumConnections: Int = 16,
        logger: Logger
    ) async throws -> PostgresStore {
        // Before the probe: a start that fails still says it.
        if let warning = location.certificateWarning {
            logger.warning("\(warning)")
        }
        let primary = try await probe(
            location,
            password: password,
            timeout: operationTimeout,
            logger: driverLogger(logger)
        )
        return PostgresStore(
            location: location,
            primary: primary,
            password: password,
            owner: owner,
            perRPLeaseCap: perRPLeaseCap,
            operationTimeout: operationTimeout,
            maximumConnections: maximumConnections,
            logger: logger
        )
    }

    /// Applies the migrations not applied yet, under an advisory lock: replicas starting
    /// together migrate once.
    ///
    /// - Throws: `Failure` naming the database and the server's words.
    public func migrate() async throws {
        do {
            // A migration may take long on a large database, but a server that does not answer
            // at all must not hold the start forever.
            try await bounded(max(operationTimeout, .seconds(120))) {
                try await PostgresSchema.migrate(self.client, logger: self.driverLogger)
            }
        } catch {
            throw Failure(description: "cannot open the database \(location): \(PostgresStore.describe(error))")
        }
    }

    /// Runs the connection pool until graceful shutdown (a service group's) or cancellation, and
    /// closes its connections before it returns: the store's service, first in the daemon's group
    /// so that every service using it has stopped when it does.
    public func run() async {
        await pools.run()
    }

    /// Runs the pool for `body`'s duration only: for a command that uses the store for one task
    /// (`check-config`, `migrate-store`) rather than as a service.
    public func whileRunning<T: Sendable>(_ body: () async throws -> T) async throws -> T {
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await self.run() }
            defer { group.cancelAll() }
            return try await body()
        }
    }

    init(
        location: PostgresLocation,
        primary: PostgresLocation.Endpoint? = nil,
        password: String?,
        owner: String,
        perRPLeaseCap: Int,
        operationTimeout: Duration,
        maximumConnections: Int,
        logger: Logger
    ) {
        let driverLogger = Self.driverLogger(logger)
        pools = PrimaryFollower(
            location: location,
            primary: primary,
            logger: logger,
            makeClient: { endpoint in
                let server = location.at(endpoint)
                var configuration = PostgresClient.Configuration(
                    host: server.host,
                    port: server.port,
                    username: server.user,
                    password: password,
                    database: server.database,
                    tls: server.tlsConfiguration.map { .require($0) } ?? .disable
                )
                configuration.options.maximumConnections = maximumConnections
                configuration.options.connectTimeout = operationTimeout
                configuration.options.additionalStartupParameters = Self.startupParameters(
                    operationTimeout: operationTimeout
                )
                return PostgresClient(configuration: configuration, backgroundLogger: driverLogger)
            },
            findPrimary: { current in
                await Self.primary(
                    among: location,
                    preferring: current,
                    password: password,
                    timeout: min(operationTimeout, .seconds(2)),
                    logger: driverLogger
                )
            }
        )
        self.location = location
        self.owner = owner
        self.perRPLeaseCap = max(1, perRPLeaseCap)
        self.operationTimeout = operationTimeout
        self.logger = logger
        self.driverLogger = driverLogger
    }

    static func driverLogger(_ logger: Logger) -> Logger {
        var driverLogger = logger
        driverLogger.logLevel = max(logger.logLevel, .info)
        return driverLogger
    }

    /// A cheap check for `/readyz`: the server answers a read.
    public func isReadable() async -> Bool {
        (try? await read { try await $0.value("SELECT 1::BIGINT", as: Int64.self) }) == 1
    }

    /// The server's own words for an error, without the query's bound values (which may be
    /// tokens' hashes or sealed secrets).
    static func describe(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                return "\(error.code): \(message)"
            }
            if let underlying = error.underlying { return "\(error.code): \(underlying)" }
            return "\(error.code)"
        }
        return "\(error)"
    }
}

/// Rejected requests waiting for the next flush: bounded, never waited for.
struct RejectionBuffer {
    static let capacity = 4096
    /// Already bounded: what waits here is what will be written.
    var entries: [NewEvent] = []
    var dropped = 0
}
