import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutPostgres
@testable import LogoutStorage

/// Deleting a parent row makes the database find its children (to cascade, to set NULL or to
/// refuse), and without an index that leads with the child's column it reads the child's whole
/// table for each parent deleted. The purge deletes events by the thousand: `ssf_events` had no
/// such index, and 4,000 events beside 20,000 security events took 6 s of the single writer
/// (schema v17). Every foreign key in both stores leads an index, but those listed here.
@Suite struct ForeignKeyIndexTests {
    /// "table.column" of a foreign key without an index, and why a scan per parent deleted is
    /// fine there: each of these parents is deleted by an admin, one at a time.
    static let unindexed: [String: String] = [
        "revocations.issuer_name": "an issuer is deleted by an admin, one at a time",
        "ssf_receivers.oauth_issuer": "an issuer is deleted by an admin, one at a time",
        "ssf_events.stream_id": "a stream is deleted by an admin or its receiver, one at a time",
    ]

    @Test func everyForeignKeyOfTheEmbeddedStoreLeadsAnIndex() async throws {
        let folder = TemporaryDirectory()
        let store = try LogoutDatabase(path: folder.file("db.sqlite3"), busyTimeout: .milliseconds(200))
        let missing = try await store.pool.read { db in try Self.unindexedForeignKeys(db) }
        try store.close()
        #expect(missing == Set(Self.unindexed.keys))
    }

    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func everyForeignKeyOfPostgreSQLLeadsAnIndex() async throws {
        let url = try await TestPostgres.freshDatabase()
        let store = try await StoreFixture.openPostgres(url: url)
        store.close()
        // A key's first column must be an index's first column, in an index without a WHERE.
        let rows = try await TestPostgres.query(
            """
            SELECT c.conrelid::regclass::text, a.attname::text FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            WHERE c.contype = 'f' AND NOT EXISTS (
                SELECT 1 FROM pg_index i WHERE i.indrelid = c.conrelid AND i.indkey[0] = c.conkey[1]
                AND i.indpred IS NULL)
            """,
            on: url
        )
        #expect(Set(rows.map { "\($0[0] ?? "").\($0[1] ?? "")" }) == Set(Self.unindexed.keys))
    }

    /// The foreign keys whose first column leads no index (a primary key counts, a partial index
    /// does not: the look-up of a parent's children is not bound to its WHERE).
    static func unindexedForeignKeys(_ db: Database) throws -> Set<String> {
        var missing: Set<String> = []
        let tables = try String.fetchAll(
            db,
            sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        )
        for table in tables {
            let keys = try Row.fetchAll(
                db,
                sql: "SELECT \"from\" FROM pragma_foreign_key_list(?) WHERE seq = 0",
                arguments: [table]
            )
            guard !keys.isEmpty else { continue }
            var leading = try String.fetchAll(
                db,
                sql: "SELECT name FROM pragma_table_info(?) WHERE pk = 1",
                arguments: [table]
            )
            for index in try Row.fetchAll(db, sql: "SELECT name, partial FROM pragma_index_list(?)", arguments: [table])
            where (index["partial"] as Int) == 0 {
                let name: String = index["name"]
                if let first = try String.fetchOne(
                    db,
                    sql: "SELECT name FROM pragma_index_info(?) WHERE seqno = 0",
                    arguments: [name]
                ) {
                    leading.append(first)
                }
            }
            for key in keys where !leading.contains(key["from"] as String) {
                missing.insert("\(table).\(key["from"] as String)")
            }
        }
        return missing
    }
}
