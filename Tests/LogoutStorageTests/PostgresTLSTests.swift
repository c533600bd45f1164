import Foundation
import Logging
import PostgresNIO
import Synchronization
import TestSupport
import Testing

@testable import LogoutPostgres

/// `sslmode` against a server with TLS, whose certificate names `localhost` and not
/// `127.0.0.1` and comes from a CA of the test's own: what each mode accepts and refuses, and the
/// warning of `require`.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresTLSTests {
    /// Only a bound: every case here is answered by the server, with its cause, long before it
    /// (TLS and SCRAM cost CPU on both sides of a loaded 2-core machine).
    let timeout = Duration.seconds(15)

    func open(_ url: String, logger: Logger = Logger(label: "test")) async throws -> PostgresStore {
        try await PostgresStore.open(
            try PostgresLocation(url: url),
            password: nil,
            owner: "tls",
            operationTimeout: timeout,
            logger: logger
        )
    }

    func failure(_ url: String) async throws -> PostgresConnectFailure {
        do {
            try await open(url).close()
        } catch let failure as PostgresConnectFailure {
            #expect(!failure.description.contains("\n"))
            return failure
        }
        throw PostgresStore.Failure(description: "\(url) opened")
    }

    @Test func eachModeChecksWhatItPromises() async throws {
        let cluster = try await TestPostgres.privateCluster(tls: true)
        defer { Task { await cluster.stop() } }
        let byAddress = cluster.url.replacingOccurrences(of: "?sslmode=disable", with: "")
        let byName = byAddress.replacingOccurrences(of: "@127.0.0.1:", with: "@localhost:")
        let ca = "sslrootcert=" + cluster.certificateAuthority

        // require: encrypted, certificate unchecked, and said so once at start.
        let lines = PostgresLoggingTests.Lines()
        let capture = PostgresLoggingTests.Capture(lines: lines)
        let store = try await open(byAddress + "?sslmode=require", logger: Logger(label: "test") { _ in capture })
        let encrypted = try await store.read { db in
            try await db.value("SELECT ssl::TEXT FROM pg_stat_ssl WHERE pid = pg_backend_pid()", as: String.self)
        }
        store.close()
        #expect(encrypted == "true")
        let warnings = lines.all.withLock { $0 }.filter { $0.hasPrefix("warning") }
        #expect(warnings.count == 1, "\(warnings)")
        #expect(warnings.first?.contains("certificate is not verified") == true)
        #expect(warnings.first?.contains("sslmode=verify-ca") == true)

        // verify-ca: the chain is checked, the name is not (the certificate lacks 127.0.0.1).
        try await open(byAddress + "?sslmode=verify-ca&" + ca).close()
        let unknownCA = try await failure(byAddress + "?sslmode=verify-ca")
        #expect(unknownCA.cause == .tlsHandshake)
        #expect(unknownCA.description.contains("presents a certificate that does not chain to the system's roots"))

        // verify-full: the name is checked too.
        try await open(byName + "?sslmode=verify-full&" + ca).close()
        let wrongName = try await failure(byAddress + "?sslmode=verify-full&" + ca)
        #expect(wrongName.cause == .tlsHandshake)
        #expect(wrongName.description.contains("presents a certificate that does not name 127.0.0.1"))
        #expect(wrongName.description.contains("or use sslmode=verify-ca to leave the name unchecked"))

        let missing = try await failure(byAddress + "?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem")
        #expect(missing.cause == .rootCertificates)
        #expect(missing.description.contains("the CA file /nonexistent/ca.pem of sslrootcert cannot be read"))
        let folder = TemporaryDirectory()
        try "not a certificate\n".write(toFile: folder.file("ca.pem"), atomically: true, encoding: .utf8)
        let notPEM = try await failure(byAddress + "?sslmode=verify-ca&sslrootcert=" + folder.file("ca.pem"))
        #expect(notPEM.cause == .rootCertificates)
        #expect(notPEM.description.contains("of sslrootcert holds no PEM certificate"))
    }

}
