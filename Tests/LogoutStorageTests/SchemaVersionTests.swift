import Foundation
import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutPostgres
@testable import LogoutStorage

/// Both stores name a schema alike: `v8` in a log line or `check-config` means one schema,
/// whichever store runs. A PostgreSQL database migrated under the former name is recognised.
@Suite struct SchemaVersionTests {
    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func bothStoresNameTheirSchemaAlike() async throws {
        let folder = TemporaryDirectory()
        let sqlite = try LogoutDatabase(path: folder.file("db.sqlite3"), busyTimeout: .milliseconds(200))
        let url = try await TestPostgres.freshDatabase()
        let postgres = try await StoreFixture.openPostgres(url: url)
        #expect(sqlite.schemaVersion == postgres.schemaVersion)
        #expect(sqlite.schemaVersion == "v17")
        postgres.close()
        try sqlite.close()

    }

    /// The upgrade from the previous release: its database holds the same schema under the name
    /// `v1`, without the columns of v9, v12 and v13 and the tables of v10 and v11, and data.
    /// Opening it applies v9 to v13 only, keeps the data, and keeps `v1` beside `v8`: a replica
    /// of the previous release still running in a rolling upgrade finds its own migration applied
    /// and starts (it ignores names it does not know).
    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func aDatabaseOfThePreviousReleaseIsUpgradedInPlace() async throws {
        let url = try await TestPostgres.freshDatabase()
        let store = try await StoreFixture.openPostgres(url: url)
        try await store.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        store.close()
        for statement in [
            "ALTER TABLE attempts DROP COLUMN remote_address", "ALTER TABLE issuers DROP COLUMN frontchannel_intake",
            "DROP TABLE ssf_breakers", "DROP TABLE upstream_streams", "ALTER TABLE events DROP COLUMN ssf_done",
            "DROP TABLE ssf_events", "ALTER TABLE events DROP COLUMN trace_context",
            "ALTER TABLE deliveries DROP COLUMN trace_context", "ALTER TABLE attempts DROP COLUMN trace_id",
            "DROP TABLE ssf_removed_subjects", "DROP TABLE ssf_streams", "DROP TABLE ssf_receivers",
            "DELETE FROM logoutd_migrations",
            "INSERT INTO logoutd_migrations (name) VALUES ('v1')",
        ] {
            try await TestPostgres.execute(statement, on: url)
        }

        let upgraded = try await StoreFixture.openPostgres(url: url)
        #expect(try await upgraded.issuers().map(\.issuer.name) == ["idp"])
        upgraded.close()
        let names = try await TestPostgres.query("SELECT name FROM logoutd_migrations", on: url)
        #expect(
            Set(names.compactMap { $0.first ?? nil }) == [
                "v1", "v8", "v9", "v10", "v11", "v12", "v13", "v14", "v15", "v16", "v17",
            ]
        )
        let column = try await TestPostgres.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'attempts' AND column_name = 'remote_address'",
            on: url
        )
        #expect(column.count == 1)
        // Opening it again applies nothing and changes no name.
        let again = try await StoreFixture.openPostgres(url: url)
        again.close()
        #expect(try await TestPostgres.query("SELECT name FROM logoutd_migrations", on: url).count == 11)
    }

    /// The embedded store's upgrade from the previous schema, as the package's upgrade check
    /// makes it (`Tests/systemd/previous-schema.sql`, run there with the sqlite3 shell): that
    /// file gives exactly the previous schema, opening it migrates it back with the data kept,
    /// the start-up line's `upgraded_from` names it, and a current or new file reports nothing.
    @Test func aSQLiteFileOfThePreviousSchemaIsUpgradedAndSaysSo() async throws {
        let script = try String(contentsOfFile: Self.previousSchemaScript, encoding: .utf8)
        let previous = try #require(
            script.split(separator: "\n").first.flatMap { $0.split(separator: " ").last }.map(String.init)
        )
        let folder = TemporaryDirectory()
        let path = folder.file("db.sqlite3")
        let original = try LogoutDatabase(path: path, busyTimeout: .milliseconds(200))
        try await original.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        try await original.pool.write { db in try db.execute(sql: script) }
        try original.close()

        let expected = try DatabaseQueue(path: folder.file("previous.sqlite3"))
        var registered = DatabaseMigrator()
        Migrations.register(in: &registered)
        let migrator = registered
        try migrator.migrate(expected, upTo: previous)
        let undone = try DatabaseQueue(path: path)
        #expect(try Self.schema(of: undone) == Self.schema(of: expected))
        let applied = try await undone.read { try migrator.appliedMigrations($0) }
        #expect(applied.last == previous)
        try undone.close()
        try expected.close()

        let upgraded = try LogoutDatabase(path: path, busyTimeout: .milliseconds(200))
        #expect(upgraded.upgradedFrom == previous)
        #expect(try await upgraded.issuers().map(\.issuer.name) == ["idp"])
        let current = try LogoutDatabase(path: folder.file("current.sqlite3"), busyTimeout: .milliseconds(200))
        #expect(current.upgradedFrom == nil)
        #expect(upgraded.schemaVersion == current.schemaVersion)
        let migrated = try await upgraded.pool.read { try Self.schema(of: $0) }
        #expect(try await current.pool.read { try Self.schema(of: $0) } == migrated)
        try upgraded.close()
        try current.close()
        let again = try LogoutDatabase(path: path, busyTimeout: .milliseconds(200))
        #expect(again.upgradedFrom == nil)
        try again.close()
    }

    static let previousSchemaScript = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("systemd/previous-schema.sql").path

    /// Each table's columns (name, type, not null, default, key) and each index's definition: what
    /// an ALTER leaves in `sqlite_master`'s text may differ from a CREATE, the schema may not.
    static func schema(of reader: some DatabaseReader) throws -> [String] {
        try reader.read { try schema(of: $0) }
    }

    static func schema(of db: Database) throws -> [String] {
        let tables = try String.fetchAll(
            db,
            sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
        var lines: [String] = []
        for table in tables {
            for column in try Row.fetchAll(db, sql: "SELECT * FROM pragma_table_info(?)", arguments: [table]) {
                let name: String = column["name"]
                let type: String = column["type"]
                let notNull: Int = column["notnull"]
                let key: Int = column["pk"]
                let fallback: String? = column["dflt_value"]
                lines.append("\(table).\(name) \(type) notnull=\(notNull) pk=\(key) default=\(fallback ?? "-")")
            }
        }
        lines += try String.fetchAll(
            db,
            sql: """
                SELECT type || ' ' || name || ': ' || ifnull(sql, '') FROM sqlite_master
                WHERE type IN ('index', 'trigger') ORDER BY type, name
                """
        )
        // And each table's checks as written (v14 wrote its lists as comparisons).
        for row in try Row.fetchAll(
            db,
            sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ) {
            let table: String = row["name"]
            lines += checks(in: row["sql"]).map { "\(table) \($0)" }
        }
        return lines
    }

    /// Every `CHECK (…)` of a table's text, to its matching parenthesis.
    static func checks(in sql: String) -> [String] {
        var found: [String] = []
        var rest = sql[...]
        while let start = rest.range(of: "CHECK (") {
            var depth = 0
            var end = start.upperBound
            for index in rest[rest.index(before: start.upperBound)...].indices {
                if rest[index] == "(" { depth += 1 }
                if rest[index] == ")" { depth -= 1 }
                if depth == 0 {
                    end = rest.index(after: index)
                    break
                }
            }
            found.append(String(rest[start.lowerBound..<end]))
            rest = rest[end...]
        }
        return found
    }

    /// A package downgraded over a newer database: the file holds a migration this version does
    /// not know. It is refused with the way out, and left as it was.
    @Test func aFileANewerVersionMigratedIsRefusedAndLeftAlone() async throws {
        let folder = TemporaryDirectory()
        let path = folder.file("db.sqlite3")
        let newer = try LogoutDatabase(path: path, busyTimeout: .milliseconds(200))
        try await newer.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        try await newer.pool.write { db in
            try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99')")
        }
        try newer.close()

        do {
            _ = try LogoutDatabase(path: path, busyTimeout: .milliseconds(200))
            Issue.record("a database of a newer version was opened")
        } catch {
            let text = "\(error)"
            #expect(text.contains("migrated by a newer logoutd") && text.contains("v99"), "\(text)")
            #expect(text.contains("restore a backup"))
        }
        let file = try DatabaseQueue(path: path)
        #expect(try await file.read { try String.fetchAll($0, sql: "SELECT name FROM issuers") } == ["idp"])
        #expect(
            try await file.read { try String.fetchAll($0, sql: "SELECT identifier FROM grdb_migrations") }.contains(
                "v99"
            )
        )
        try file.close()
    }
}
