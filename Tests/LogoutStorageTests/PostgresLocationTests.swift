import NIOSSL
import Testing

@testable import LogoutPostgres

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
        (
            "postgres://app@10.0.0.5/l?sslmode=verify-ca",
            PostgresLocation(host: "10.0.0.5", user: "app", database: "l", tls: .verifyCA)
        ),
        (
            "postgres://app@10.0.0.5/l?sslmode=verify-ca&sslrootcert=/etc/logoutd/pg-ca.pem",
            PostgresLocation(
                host: "10.0.0.5",
                user: "app",
                database: "l",
                tls: .verifyCA,
                rootCertificates: "/etc/logoutd/pg-ca.pem"
            )
        ),
        (
            "postgres://app@db/l?sslrootcert=ca.pem",
            PostgresLocation(host: "db", user: "app", database: "l", tls: .verifyFull, rootCertificates: "ca.pem")
        ),
        (
            "postgres://app@db/l?sslrootcert=system&sslmode=verify-full",
            PostgresLocation(host: "db", user: "app", database: "l", tls: .verifyFull)
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
        ("postgres://app@db/l?sslmode=prefer", "sslmode=prefer is not offered, since it falls back to plain TCP"),
        ("postgres://app@db/l?sslmode=allow", "sslmode=allow is not offered"),
        ("postgres://app@db/l?sslmode=verify", "sslmode must be one of disable, require, verify-ca, verify-full"),
        ("postgres://app@db/l?timeout=3", "unknown parameter timeout"),
        ("postgres://app@db/l?sslrootcert=", "sslrootcert names no file"),
        ("postgres://app@db/l?sslmode=require&sslrootcert=/ca.pem", "sslrootcert is read with sslmode=verify-ca or"),
        ("postgres://app@db/l?sslrootcert=/ca.pem&sslmode=disable", "sslmode=disable checks no certificate"),
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
        let withCA = try PostgresLocation(url: "postgres://app@[::1]/l?sslmode=verify-ca&sslrootcert=/ca.pem")
        #expect(withCA.description == "postgres://app@[::1]:5432/l?sslmode=verify-ca&sslrootcert=/ca.pem")
    }

    /// What each mode asks of the server's certificate, and where the CA comes from.
    @Test(
        arguments: [
            ("disable", nil, nil),
            ("require", CertificateVerification.none, NIOSSLTrustRoots.default),
            ("verify-ca", .noHostnameVerification, .default),
            ("verify-ca&sslrootcert=/ca.pem", .noHostnameVerification, .file("/ca.pem")),
            ("verify-full", .fullVerification, .default),
            ("verify-full&sslrootcert=/ca.pem", .fullVerification, .file("/ca.pem")),
        ] as [(String, CertificateVerification?, NIOSSLTrustRoots?)]
    )
    func eachModeChecksTheCertificateAsNamed(
        mode: String,
        verification: CertificateVerification?,
        roots: NIOSSLTrustRoots?
    ) throws {
        let tls = try PostgresLocation(url: "postgres://app@db/l?sslmode=" + mode).tlsConfiguration
        #expect(tls?.certificateVerification == verification)
        #expect(tls?.trustRoots == roots)
    }

    /// Only `require` connects without checking the certificate, and only it is warned of.
    @Test func onlyRequireIsWarnedOf() throws {
        for mode in PostgresLocation.TLSMode.allCases {
            let location = try PostgresLocation(url: "postgres://app@db/l?sslmode=\(mode.rawValue)")
            #expect((location.certificateWarning != nil) == (mode == .require))
        }
        let warning = try PostgresLocation(url: "postgres://app@db:6432/l?sslmode=require").certificateWarning
        #expect(warning?.contains("db:6432") == true && warning?.contains("not verified") == true)
    }
}
