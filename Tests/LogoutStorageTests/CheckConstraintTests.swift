import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// Schema v14 (issue 24): CHECK lists are written as comparisons, because SQLite builds a
/// temporary table of an `IN` list of three values or more for every statement that writes
/// the row (each delivery queued, each outcome stored), and the checks still refuse what they
/// refused.
@Suite struct CheckConstraintTests {
    @Test(arguments: [
        (
            "status TEXT NOT NULL CHECK (status IN ('pending', 'retrying', 'delivered'))",
            "status TEXT NOT NULL CHECK ((status = 'pending' OR status = 'retrying' OR status = 'delivered'))"
        ),
        // Two values: SQLite compares them without a table.
        (
            "CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))",
            "CHECK ((status IN ('pending', 'retrying')) = (next_attempt_at IS NOT NULL))"
        ),
        (
            "CHECK (a IN ('x', 'y', 'z')), CHECK (b IN ('p', 'q'))",
            "CHECK ((a = 'x' OR a = 'y' OR a = 'z')), CHECK (b IN ('p', 'q'))"
        ),
        ("name TEXT PRIMARY KEY", "name TEXT PRIMARY KEY"),
        // Not this migration's to rewrite: a negated list, a qualified name, a value with a comma.
        ("CHECK (x NOT IN ('a', 'b', 'c'))", "CHECK (x NOT IN ('a', 'b', 'c'))"),
        ("CHECK (t.x IN ('a', 'b', 'c'))", "CHECK (t.x IN ('a', 'b', 'c'))"),
        ("CHECK (x IN ('a, b', 'c', 'd'))", "CHECK (x IN ('a, b', 'c', 'd'))"),
    ])
    func listsOfThreeOrMoreBecomeComparisons(_ sql: String, _ expected: String) {
        #expect(Migrations.comparisonChecks(sql) == expected)
    }

    /// No write to any table of a new file builds a temporary table for its checks.
    @Test func noTableChecksAListWithATemporaryTable() async throws {
        let folder = TemporaryDirectory()
        let database = try LogoutDatabase(path: folder.file("db.sqlite3"), busyTimeout: .milliseconds(200))
        defer { try? database.close() }
        let tables = try await database.pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            )
        }
        #expect(tables.contains("deliveries") && tables.contains("events") && tables.contains("revocations"))
        for table in tables {
            // Compiled, not run: the program codes every check of the table.
            // On the writer, whose parsed schema the migration itself had to refresh.
            let program = try await database.pool.write { db in
                try Row.fetchAll(db, sql: "EXPLAIN INSERT INTO \"\(table)\" DEFAULT VALUES").map {
                    $0["opcode"] as String
                }
            }
            #expect(program.contains("Halt"))
            #expect(!program.contains("OpenEphemeral"), "writing \(table) builds a temporary table")
        }
    }

    /// The rewritten checks refuse what the lists refused, and the file is sound.
    @Test func theChecksStillRefuseAndTheFileIsSound() async throws {
        let folder = TemporaryDirectory()
        let database = try LogoutDatabase(path: folder.file("db.sqlite3"), busyTimeout: .milliseconds(200))
        defer { try? database.close() }
        try await database.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        let error = await #expect(throws: DatabaseError.self) {
            try await database.pool.write { db in
                try db.execute(
                    sql: """
                        INSERT INTO events (received_at, source, outcome, deliveries) VALUES (1, 'backchannel', 'bogus', 0)
                        """
                )
            }
        }
        #expect(error?.resultCode == .SQLITE_CONSTRAINT)
        let check = try await database.pool.read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check") }
        #expect(check == ["ok"])
        let version = try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT sql FROM sqlite_master WHERE name = 'deliveries'")
        }
        #expect(version?.contains("status = 'delivered' OR") == true)
        // Read by no query, and kept up to date by every delivery's writes until v14.
        let unread = try await database.pool.read { db in
            try String.fetchOne(db, sql: "SELECT name FROM sqlite_master WHERE name = 'deliveries_next'")
        }
        #expect(unread == nil)
    }
}
