import Foundation
import Logging
import LogoutCore
import NIOCore
import NIOSSL
import PostgresNIO

extension PostgresStore {
    /// Sent with every connection, the probe's included.
    static let startupParameters = [
        ("application_name", "logoutd"),
        // An acknowledgement waits for the commit to be durable, whatever the server's
        // default says.
        ("synchronous_commit", "on"),
    ]

    /// One connection, made and closed before the pool starts: the pool retries a connection
    /// that fails for ever and tells its waiter nothing but a timeout, so a start against a
    /// server that will never let us in (no TLS, a wrong password, no such database, nothing
    /// listening) failed late and without its cause. Later failures, such as a database
    /// restart while the daemon runs, are the pool's to retry.
    ///
    /// - Throws: `PostgresConnectFailure` within `timeout`, whatever the server does.
    static func probe(
        _ location: PostgresLocation,
        password: String?,
        timeout: Duration,
        logger: Logger
    ) async throws {
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: password,
            database: location.database,
            tls: try tls(location)
        )
        configuration.options.connectTimeout = TimeAmount(timeout)
        configuration.options.additionalStartupParameters = startupParameters
        let settings = configuration
        do {
            try await withDeadline(timeout, timedOut: { PostgresConnectFailure.NoAnswer() }) {
                let connection = try await PostgresConnection.connect(
                    configuration: settings,
                    id: 0,
                    logger: logger
                )
                try? await connection.close()
            }
        } catch {
            throw PostgresConnectFailure(error, location: location, passwordGiven: password != nil, timeout: timeout)
        }
    }

    private static func tls(_ location: PostgresLocation) throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = location.tlsConfiguration else { return .disable }
        do {
            return .require(try NIOSSLContext(configuration: configuration))
        } catch {
            guard let path = location.rootCertificates else {
                throw PostgresConnectFailure(
                    cause: .rootCertificates,
                    "the system's CA certificates cannot be loaded (\(error)): name the CA in sslrootcert=PATH in database.url"
                )
            }
            let problem =
                FileManager.default.isReadableFile(atPath: path)
                ? "holds no PEM certificate (\(error))" : "cannot be read"
            throw PostgresConnectFailure(
                cause: .rootCertificates,
                "the CA file \(path) of sslrootcert \(problem): sslrootcert must name a readable PEM file of CA certificates"
            )
        }
    }
}
