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

    }

    /// The upgrade from the previous release: its database holds the same schema under the name
    /// `v1`, without v9's column, and data. Opening it applies v9 only, keeps the data, and keeps
    /// `v1` beside `v8`: a replica of the previous release still running in a rolling upgrade
    /// finds its own migration applied and starts (it ignores names it does not know).
    @Test(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
    func aDatabaseOfThePreviousReleaseIsUpgradedInPlace() async throws {
        let url = try await TestPostgres.freshDatabase()
        let store = try await StoreFixture.openPostgres(url: url)
        try await store.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        store.close()
        for statement in [
            "ALTER TABLE attempts DROP COLUMN remote_address",
            "DELETE FROM logoutd_migrations",
            "INSERT INTO logoutd_migrations (name) VALUES ('v1')",
        ] {
            try await TestPostgres.execute(statement, on: url)
        }

        let upgraded = try await StoreFixture.openPostgres(url: url)
        #expect(try await upgraded.issuers().map(\.issuer.name) == ["idp"])
        upgraded.close()
        let names = try await TestPostgres.query("SELECT name FROM logoutd_migrations", on: url)
        #expect(Set(names.compactMap { $0.first ?? nil }) == ["v1", "v8", "v9"])
        let column = try await TestPostgres.query(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'attempts' AND column_name = 'remote_address'",
            on: url
        )
        #expect(column.count == 1)
        // Opening it again applies nothing and changes no name.
        let again = try await StoreFixture.openPostgres(url: url)
        again.close()
        #expect(try await TestPostgres.query("SELECT name FROM logoutd_migrations", on: url).count == 3)
    }
}
