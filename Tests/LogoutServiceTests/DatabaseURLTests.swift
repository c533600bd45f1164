import Testing

@testable import LogoutService

/// `database.url` (contract C2): what is read, and what is refused with a reason.
@Suite struct DatabaseURLTests {
    /// What is read, as `check-config` shows it: every part, the defaults filled in.
    @Test(arguments: [
        (
            "postgres://logoutd@db.internal:5433/logout",
            "postgres://logoutd@db.internal:5433/logout?sslmode=verify-full"
        ),
        ("postgresql://app@127.0.0.1/l?sslmode=disable", "postgres://app@127.0.0.1:5432/l?sslmode=disable"),
        ("postgres://app@[::1]:6000/l?sslmode=require", "postgres://app@[::1]:6000/l?sslmode=require"),
        ("postgres://app@10.0.0.5/l?sslmode=verify-ca", "postgres://app@10.0.0.5:5432/l?sslmode=verify-ca"),
        (
            "postgres://app@10.0.0.5/l?sslmode=verify-ca&sslrootcert=/etc/logoutd/pg-ca.pem",
            "postgres://app@10.0.0.5:5432/l?sslmode=verify-ca&sslrootcert=/etc/logoutd/pg-ca.pem"
        ),
        ("postgres://app@db/l?sslrootcert=ca.pem", "postgres://app@db:5432/l?sslmode=verify-full&sslrootcert=ca.pem"),
        ("postgres://app@db/l?sslrootcert=system&sslmode=verify-full", "postgres://app@db:5432/l?sslmode=verify-full"),
        // A primary and its standbys (libpq's multi-host form): the one that takes writes.
        (
            "postgres://app@pg1:5433,pg2,[::1]:6000/l?sslmode=disable&target_session_attrs=read-write",
            "postgres://app@pg1:5433,pg2:5432,[::1]:6000/l?sslmode=disable&target_session_attrs=read-write"
        ),
        (
            "postgres://app@pg1,pg2/l?target_session_attrs=primary",
            "postgres://app@pg1:5432,pg2:5432/l?sslmode=verify-full&target_session_attrs=read-write"
        ),
        ("postgres://app@db/l?target_session_attrs=any", "postgres://app@db:5432/l?sslmode=verify-full"),
    ])
    func readsTheParts(url: String, read: String) throws {
        #expect(try DatabaseURL(url).description == read)
    }

    @Test func severalHostsAreServersInTheirOrder() throws {
        let url = try DatabaseURL("postgres://app@pg1:5433,[::1]:6000/l?target_session_attrs=read-write")
        #expect(url.host == "pg1" && url.port == 5433 && url.requiresPrimary)
        #expect(url.alternates == [DatabaseURL.Endpoint(host: "::1", port: 6000)])
    }

    @Test func theHostOfAnIPv6LiteralIsBare() throws {
        let url = try DatabaseURL("postgres://app@[::1]:6000/l?sslmode=require")
        #expect(url.host == "::1" && url.port == 6000 && url.sslMode == .require && url.rootCertificates == nil)
    }

    @Test(arguments: [
        ("postgres://app:secret@db/l", "must not hold a password"),
        ("mysql://app@db/l", "must look like"),
        ("postgres://db/l", "names no user"),
        ("postgres://app@db", "names no database"),
        ("postgres://app@db/l?sslmode=prefer", "sslmode=prefer is not offered, since it falls back to plain TCP"),
        ("postgres://app@db/l?sslmode=allow", "sslmode=allow is not offered"),
        ("postgres://app@db/l?sslmode=verify", "sslmode must be one of disable, require, verify-ca, verify-full"),
        ("postgres://app@db/l?timeout=3", "unknown parameter timeout"),
        ("postgres://app@db/l?sslrootcert=", "sslrootcert names no file"),
        ("postgres://app@db/l?sslmode=require&sslrootcert=/ca.pem", "sslrootcert is read with sslmode=verify-ca or"),
        ("postgres://app@db/l?sslrootcert=/ca.pem&sslmode=disable", "sslmode=disable checks no certificate"),
        ("postgres://app@pg1,pg2/l", "names several hosts: add target_session_attrs=read-write"),
        ("postgres://app@pg1,pg2/l?target_session_attrs=any", "names several hosts"),
        ("postgres://app@pg1,,pg2/l?target_session_attrs=read-write", "\"\" is not a HOST:PORT"),
        ("postgres://app@pg1,pg2/db/l?target_session_attrs=read-write", "names no database"),
        ("postgres://app@db/l?target_session_attrs=standby", "target_session_attrs must be read-write, primary or any"),
        ("postgres://app@pg1,pg2:99999/l?target_session_attrs=read-write", "port 99999 of pg2 is not a TCP port"),
        ("postgres://app@pg1:0,pg2/l?target_session_attrs=read-write", "port 0 is not a TCP port"),
    ])
    func refusesWithAReason(url: String, reason: String) {
        #expect {
            try DatabaseURL(url)
        } throws: { error in
            "\(error)".contains(reason)
        }
    }
}
