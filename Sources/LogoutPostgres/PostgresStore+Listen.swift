import Logging
import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// Calls `onNotify` for every notification on the queue channel (a logout recorded, a
    /// redelivery, leases handed back by any replica) until the task is cancelled. A lost
    /// connection is opened again after `retry`, and `onNotify` is called once it is back,
    /// since notifications sent meanwhile are gone.
    public func listenForQueue(retry: Duration = .seconds(1), _ onNotify: @escaping @Sendable () -> Void) async {
        await listen(to: Self.queueChannel, retry: retry, onNotify)
    }

    /// Calls `onNotify` whenever any replica changed the issuers (and once after a lost
    /// connection is back): each replica keeps them in memory to check tokens.
    public func listenForRegistry(retry: Duration = .seconds(1), _ onNotify: @escaping @Sendable () -> Void) async {
        await listen(to: Self.registryChannel, retry: retry, onNotify)
    }

    private func listen(to channel: String, retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        onNotify()
                        for try await _ in notifications { onNotify() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "listening for notifications of the other replicas failed; trying again",
                    metadata: ["channel": "\(channel)", "error": "\(Self.describe(error))"]
                )
            }
            try? await Task.sleep(for: retry)
        }
    }
}

extension PostgresStore {
    /// `check-config`: connects with the given settings and reports the server, whether commits
    /// are synchronous and the schema's state, without migrating anything.
    ///
    /// - Throws: `PostgresConnectFailure` as the daemon's start would, so that the check tells
    ///   what the start would meet.
    public static func check(
        _ location: PostgresLocation,
        password: String?,
        timeout: Duration,
        logger: Logger
    ) async throws -> String {
        try await probe(location, password: password, timeout: timeout, logger: driverLogger(logger))
        let store = PostgresStore(
            location: location,
            password: password,
            owner: "check-config",
            perRPLeaseCap: 1,
            operationTimeout: timeout,
            maximumConnections: 1,
            logger: logger
        )
        defer { store.close() }
        do {
            return try await store.read { db in
                let version = try await db.value("SHOW server_version", as: String.self) ?? "?"
                let synchronous = try await db.value("SHOW synchronous_commit", as: String.self) ?? "?"
                let tableExists = try await db.value("SELECT to_regclass('logoutd_migrations')::TEXT", as: String.self)
                var applied: [String] = []
                if tableExists != nil {
                    applied = try await db.rows("SELECT name FROM logoutd_migrations ORDER BY name")
                        .map { try $0.get("name", as: String.self) }
                        .map { PostgresSchema.formerNames[$0] ?? $0 }
                }
                let known = PostgresSchema.migrations.map(\.name)
                let pending = known.filter { !applied.contains($0) }
                let schema =
                    pending.isEmpty
                    ? "schema \(applied.last ?? "?") (current)"
                    : "schema \(applied.last ?? "empty"), \(pending.joined(separator: ", ")) applied at the next start"
                return "PostgreSQL \(version) at \(location), synchronous_commit \(synchronous), \(schema)"
            }
        } catch {
            throw Failure(description: "cannot reach the database \(location): \(describe(error))")
        }
    }
}
