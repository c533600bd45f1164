import Foundation
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
        #expect(sqlite.schemaVersion == "v9")
        postgres.close()
        try sqlite.close()

        // A database migrated when the same schema was called v1 here is not migrated again.
        try await TestPostgres.execute("UPDATE logoutd_migrations SET name = 'v1' WHERE name = 'v8'", on: url)
        let reopened = try await StoreFixture.openPostgres(url: url)
        reopened.close()
        let names = try await TestPostgres.query("SELECT name FROM logoutd_migrations", on: url)
        #expect(names.sorted { ($0.first ?? "") ?? "" < ($1.first ?? "") ?? "" } == [["v8"], ["v9"]])
    }
}
