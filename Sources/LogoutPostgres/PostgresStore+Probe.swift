import Foundation
import Logging
import LogoutCore
import NIOCore
import NIOSSL
import PostgresNIO

extension PostgresStore {
    /// Sent with every connection, the probe's included.
    static func startupParameters(operationTimeout: Duration) -> [(String, String)] {
        [
            ("application_name", "logoutd"),
            // An acknowledgement waits for the commit to be durable, whatever the server's
            // default says.
            ("synchronous_commit", "on"),
            // A transaction of ours waits for nothing between its statements, and is given up
            // by its caller after the operation timeout. A session still idle inside one
            // later belongs to a replica cut off or paused mid-transaction: the server ends
            // it, so its row locks (an RP's, taken by a claim) do not hold the other
            // replicas' claims back until TCP notices, hours later.
            ("idle_in_transaction_session_timeout", String((operationTimeout * 2).wholeMilliseconds)),
        ]
    }

    /// One connection, made and closed before the pool starts: the pool retries a connection
    /// that fails for ever and tells its waiter nothing but a timeout, so a start against a
    /// server that will never let us in (no TLS, a wrong password, no such database, nothing
    /// listening) failed late and without its cause. Later failures, such as a database
    /// restart while the daemon runs, are the pool's to retry.
    ///
    /// With a primary and standbys named (`target_session_attrs=read-write`), each server in
    /// turn until one accepts writes; returns it.
    ///
    /// - Throws: `PostgresConnectFailure` within `timeout` per server, whatever they do: the
    ///   first server's failure, or that none accepts writes.
    @discardableResult
    static func probe(
        _ location: PostgresLocation,
        password: String?,
        timeout: Duration,
        logger: Logger
    ) async throws -> PostgresLocation.Endpoint {
        guard location.requiresPrimary else {
            try await probe(one: location, password: password, timeout: timeout, logger: logger)
            return location.endpoints[0]
        }
        var firstFailure: (any Error)?
        var standbys: [String] = []
        for endpoint in location.endpoints {
            do {
                let inRecovery = try await probe(
                    one: location.at(endpoint),
                    password: password,
                    timeout: timeout,
                    logger: logger
                )
                if !inRecovery { return endpoint }
                standbys.append(endpoint.address)
            } catch {
                firstFailure = firstFailure ?? error
            }
        }
        if let firstFailure, standbys.isEmpty { throw firstFailure }
        throw PostgresConnectFailure(
            cause: .server,
            "no server of database.url accepts writes: \(standbys.joined(separator: ", ")) \(standbys.count == 1 ? "is a standby" : "are standbys") (in recovery)\(firstFailure.map { "; \($0)" } ?? ""): promote one, or name the primary"
        )
    }

    /// The primary among the servers named: `current` while it still takes writes, else the
    /// first in the URL's order that answers and takes writes.
    static func primary(
        among location: PostgresLocation,
        preferring current: PostgresLocation.Endpoint,
        password: String?,
        timeout: Duration,
        logger: Logger
    ) async -> PostgresLocation.Endpoint? {
        for endpoint in [current] + location.endpoints.filter({ $0 != current }) {
            let inRecovery = try? await probe(
                one: location.at(endpoint),
                password: password,
                timeout: timeout,
                logger: logger
            )
            if inRecovery == false { return endpoint }
        }
        return nil
    }

    /// Connects to the one server of `location`; returns whether it refuses writes: in recovery
    /// (a standby), or read-only by default (libpq's `read-write` refuses those too).
    @discardableResult
    private static func probe(
        one location: PostgresLocation,
        password: String?,
        timeout: Duration,
        logger: Logger
    ) async throws -> Bool {
        var configuration = PostgresConnection.Configuration(
            host: location.host,
            port: location.port,
            username: location.user,
            password: password,
            database: location.database,
            tls: try tls(location)
        )
        configuration.options.connectTimeout = TimeAmount(timeout)
        configuration.options.additionalStartupParameters = startupParameters(operationTimeout: timeout)
        let settings = configuration
        do {
            return try await withDeadline(timeout, timedOut: { PostgresConnectFailure.NoAnswer() }) {
                let connection = try await PostgresConnection.connect(
                    configuration: settings,
                    id: 0,
                    logger: logger
                )
                do {
                    var inRecovery = false
                    let query: PostgresQuery =
                        "SELECT pg_is_in_recovery() OR current_setting('default_transaction_read_only') = 'on'"
                    for try await value in try await connection.query(query, logger: logger).decode(Bool.self) {
                        inRecovery = value
                    }
                    try? await connection.close()
                    return inRecovery
                } catch {
                    try? await connection.close()
                    throw error
                }
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
