import Logging
import LogoutCore
import PostgresNIO

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
        let primary = try await probe(location, password: password, timeout: timeout, logger: driverLogger(logger))
        let store = PostgresStore(
            location: location,
            primary: primary,
            password: password,
            owner: "check-config",
            perRPLeaseCap: 1,
            operationTimeout: timeout,
            maximumConnections: 1,
            logger: logger
        )
        do {
            return try await store.whileRunning {
                try await store.read { db in
                    let version = try await db.value("SHOW server_version", as: String.self) ?? "?"
                    let synchronous = try await db.value("SHOW synchronous_commit", as: String.self) ?? "?"
                    // With standbys named: whether a failover can lose an acknowledged logout.
                    var replication = ""
                    if location.requiresPrimary {
                        let standbys = try await db.value("SHOW synchronous_standby_names", as: String.self) ?? ""
                        let streaming =
                            try await db.value(
                                "SELECT count(*) FROM pg_stat_replication WHERE sync_state IN ('sync', 'quorum')",
                                as: Int64.self
                            ) ?? 0
                        replication =
                            ", primary \(primary.address), "
                            + (standbys.isEmpty
                                ? "no synchronous standby (a failover can lose acknowledged logouts: set synchronous_standby_names)"
                                : "synchronous_standby_names '\(standbys)', \(streaming) in sync now"
                                    + (streaming == 0 ? " (commits wait until one is: logouts get 503)" : ""))
                    }
                    // NULL on a database no logoutd has started on yet.
                    let tableExists = try await db.value(
                        "SELECT to_regclass('logoutd_migrations')::TEXT",
                        as: String?.self
                    ).flatMap { $0 }
                    var applied: [String] = []
                    if tableExists != nil {
                        let names = try await db.rows("SELECT name FROM logoutd_migrations")
                            .map { try $0.get("name", as: String.self) }
                            .map { PostgresSchema.formerNames[$0] ?? $0 }
                        // In the order they ship (a text order puts v10 before v8).
                        applied = PostgresSchema.migrations.map(\.name).filter(names.contains)
                    }
                    let known = PostgresSchema.migrations.map(\.name)
                    let pending = known.filter { !applied.contains($0) }
                    let schema =
                        pending.isEmpty
                        ? "schema \(applied.last ?? "?") (current)"
                        : "schema \(applied.last ?? "empty"), \(pending.joined(separator: ", ")) applied at the next start"
                    return
                        "PostgreSQL \(version) at \(location)\(replication), synchronous_commit \(synchronous), \(schema)"
                }
            }
        } catch {
            throw Failure(description: "cannot reach the database \(location): \(describe(error))")
        }
    }
}
