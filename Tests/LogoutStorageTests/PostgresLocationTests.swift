import NIOSSL
import Testing

@testable import LogoutPostgres

/// How each `sslmode` protects the store's connections (the URL itself is the configuration's,
/// tested with it).
@Suite struct PostgresLocationTests {
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
