import LogoutPostgres
import Testing

/// `database.url` (contract C2): what is read, and what is refused with a reason.
@Suite struct PostgresLocationTests {
    @Test(arguments: [
        (
            "postgres://logoutd@db.internal:5433/logout",
            PostgresLocation(host: "db.internal", port: 5433, user: "logoutd", database: "logout", tls: .verifyFull)
        ),
        (
            "postgresql://app@127.0.0.1/l?sslmode=disable",
            PostgresLocation(host: "127.0.0.1", port: 5432, user: "app", database: "l", tls: .disable)
        ),
        (
            "postgres://app@[::1]:6000/l?sslmode=require",
            PostgresLocation(host: "::1", port: 6000, user: "app", database: "l", tls: .require)
        ),
    ])
    func readsTheParts(url: String, expected: PostgresLocation) throws {
        #expect(try PostgresLocation(url: url) == expected)
    }

    @Test(arguments: [
        ("postgres://app:secret@db/l", "must not hold a password"),
        ("mysql://app@db/l", "must look like"),
        ("postgres://db/l", "names no user"),
        ("postgres://app@db", "names no database"),
        ("postgres://app@db/l?sslmode=prefer", "sslmode must be one of"),
        ("postgres://app@db/l?timeout=3", "unknown parameter timeout"),
    ])
    func refusesWithAReason(url: String, reason: String) {
        #expect {
            try PostgresLocation(url: url)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }

    @Test func itsDescriptionHoldsNothingSecret() throws {
        let location = try PostgresLocation(url: "postgres://app@db:5432/l")
        #expect(location.description == "postgres://app@db:5432/l?sslmode=verify-full")
    }
}
