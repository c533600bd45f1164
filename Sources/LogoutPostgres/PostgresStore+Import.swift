import LogoutCore
import PostgresNIO

extension PostgresStore {
    public struct ImportRefused: Error, CustomStringConvertible {
        public let description: String
    }

    /// Copies an embedded store's tables in, ids kept, in one transaction: all rows or none
    /// (`logoutd migrate-store`). Values are converted to this schema's column types; deliveries
    /// and revocations that were leased when the old daemon stopped are due at `now`.
    /// - Returns: rows copied per table.
    public func importTables(_ tables: [StoreTable], now: Timestamp) async throws -> [(String, Int)] {
        try await bounded(.seconds(3600)) {
            try await self.importAll(tables, now: now)
        }
    }

    private func importAll(_ tables: [StoreTable], now: Timestamp) async throws -> [(String, Int)] {
        try await client.withConnection { connection in
            let db = PostgresSession(connection: connection, logger: self.driverLogger)
            try await connection.run("BEGIN", logger: self.driverLogger)
            do {
                let used = try await db.value(
                    """
                    SELECT ((SELECT count(*) FROM issuers) + (SELECT count(*) FROM relying_parties)
                        + (SELECT count(*) FROM events))::BIGINT
                    """,
                    as: Int64.self
                )
                guard used == 0 else {
                    throw ImportRefused(
                        description:
                            "the PostgreSQL database already holds a registry or a log: migrate into an empty one"
                    )
                }
                var counts: [(String, Int)] = []
                for table in tables {
                    try await Self.importTable(table, db)
                    counts.append((table.name, table.rows.count))
                }
                for table in ["sessions", "events", "deliveries", "revocations", "ssf_events"] {
                    try await db.execute(
                        PostgresQuery(
                            unsafeSQL: """
                                SELECT setval(pg_get_serial_sequence('\(table)', 'id'), COALESCE(max(id), 0) + 1, false)
                                FROM \(table)
                                """
                        )
                    )
                }
                let nowMs = now.millisecondsSince1970
                try await db.execute(
                    """
                    UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = \(nowMs)
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """
                )
                try await db.execute(
                    """
                    UPDATE revocations SET lease_until = NULL, next_attempt_at = \(nowMs)
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """
                )
                try await connection.run("COMMIT", logger: self.driverLogger)
                return counts
            } catch {
                _ = try? await connection.run("ROLLBACK", logger: self.driverLogger)
                throw error
            }
        }
    }

    private static func importTable(_ table: StoreTable, _ db: PostgresSession) async throws {
        var types: [String: String] = [:]
        for row in try await db.rows(
            """
            SELECT column_name::TEXT AS name, data_type::TEXT AS type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = \(table.name)
            """
        ) {
            types[try row.get("name")] = try row.get("type")
        }
        guard !types.isEmpty else { throw ImportRefused(description: "no table \(table.name) in PostgreSQL") }
        for column in table.columns where types[column] == nil {
            throw ImportRefused(description: "column \(column) of \(table.name) has no place in the PostgreSQL schema")
        }
        let columnList = table.columns.joined(separator: ", ")
        let perStatement = max(1, 30_000 / max(1, table.columns.count))
        var start = 0
        while start < table.rows.count {
            let chunk = table.rows[start..<min(start + perStatement, table.rows.count)]
            var binds = PostgresBindings()
            var values: [String] = []
            for row in chunk {
                var placeholders: [String] = []
                for (column, value) in zip(table.columns, row) {
                    try append(value, as: types[column] ?? "text", column: column, to: &binds)
                    placeholders.append("$\(binds.count)")
                }
                values.append("(" + placeholders.joined(separator: ", ") + ")")
            }
            try await db.execute(
                PostgresQuery(
                    unsafeSQL: "INSERT INTO \(table.name) (\(columnList)) VALUES \(values.joined(separator: ", "))",
                    binds: binds
                )
            )
            start += chunk.count
        }
    }

    private static func append(
        _ value: StoreValue,
        as type: String,
        column: String,
        to binds: inout PostgresBindings
    ) throws {
        switch (value, type) {
        case (.null, _): binds.appendNull()
        case (.integer(let number), "boolean"): binds.append(number != 0)
        case (.integer(let number), "bigint"): binds.append(number)
        case (.real(let number), "bigint"): binds.append(Int64(number))
        case (.text(let text), "text"): binds.append(text)
        case (.integer(let number), "text"): binds.append(String(number))
        case (.blob(let bytes), "bytea"): binds.append(ByteBuffer(bytes: bytes))
        case (.text(let text), "bytea"): binds.append(ByteBuffer(string: text))
        default:
            // The value itself is not shown: it may be a sealed secret or a token's hash.
            throw ImportRefused(
                description: "column \(column): a value of another kind cannot go into a \(type) column"
            )
        }
    }
}
