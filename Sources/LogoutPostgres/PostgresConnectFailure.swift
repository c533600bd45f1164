import Foundation
import NIOCore
import NIOPosix
import NIOSSL
import PostgresNIO

/// Why the first connection to the server failed, in one line that names the cause and the fix.
///
/// postgres-nio's pool retries a connection that fails, for ever, and logs each failure at
/// `info` (`PSQLError(code: sslUnsupported)`); the statement waiting for a connection gets only
/// a timeout, which names no cause. A daemon started against a server without TLS, with a wrong
/// password or database name, repeated that until someone read the driver's log. The first
/// connection is made by hand instead, and its error told in the operator's terms.
public struct PostgresConnectFailure: Error, CustomStringConvertible {
    public enum Cause: String, Sendable {
        /// The server answered the TLS request with "no".
        case noTLS
        /// The TLS handshake failed: certificate not trusted, host name not in it.
        case tlsHandshake
        /// The CA file of `sslrootcert` cannot be loaded.
        case rootCertificates
        /// The server refused the password (SQLSTATE 28P01).
        case passwordRefused
        /// The server asks for a password and none is configured.
        case passwordMissing
        /// The server refused the user (28000: no `pg_hba.conf` entry, unknown role).
        case userRefused
        /// The server asks for an authentication method postgres-nio does not speak.
        case unsupportedAuthentication
        /// No such database (3D000).
        case unknownDatabase
        /// Nothing listens at the address.
        case refused
        /// No route to the address.
        case unreachable
        /// The host name does not resolve.
        case unknownHost
        /// Connected, or trying to, with no answer by the deadline.
        case noAnswer
        /// Another refusal by the server (too many connections, starting up, …).
        case server
        case other
    }

    public let cause: Cause
    public let description: String

    init(cause: Cause, _ description: String) {
        self.cause = cause
        self.description = description
    }

    /// The cause of `error`, met while connecting to `location` (never with the password in it:
    /// postgres-nio's errors do not hold it, and nothing here prints the configuration).
    init(_ error: any Error, location: PostgresLocation, passwordGiven: Bool, timeout: Duration) {
        let server = "the PostgreSQL server at \(location.address)"
        let underlying = Self.underlying(error)
        if let error = error as? PSQLError,
            let failure = Self.protocolFailure(
                error,
                location: location,
                passwordGiven: passwordGiven
            )
        {
            self = failure
        } else if let connection = underlying as? NIOConnectionError {
            self = Self.connectFailure(connection, location: location)
        } else if underlying is NoAnswer || Self.isConnectTimeout(underlying) {
            self.init(
                cause: .noAnswer,
                "\(server) did not answer within \(Self.seconds(timeout)): check that PostgreSQL runs there and that database.url names its host and port"
            )
        } else if underlying is NIOSSLError || underlying is NIOSSLExtraError || underlying is BoringSSLError {
            self = Self.tlsFailure(underlying, location: location)
        } else {
            self.init(cause: .other, "cannot connect to \(server): \(PostgresStore.describe(error))")
        }
    }

    /// What the server or the protocol said: no TLS, authentication, database.
    private static func protocolFailure(
        _ error: PSQLError,
        location: PostgresLocation,
        passwordGiven: Bool
    ) -> PostgresConnectFailure? {
        let server = "the PostgreSQL server at \(location.address)"
        let password = "LOGOUTD_DATABASE_PASSWORD or the credential file database-password"
        switch error.code {
        case .sslUnsupported:
            return .init(
                cause: .noTLS,
                "\(server) does not offer TLS, which sslmode=\(location.tls.rawValue) requires: add ?sslmode=disable to database.url for a loopback server, or enable TLS on the server (ssl = on)"
            )
        case .authMechanismRequiresPassword:
            return .init(
                cause: .passwordMissing,
                "\(server) asks for the password of user \(location.user) and none is given: set \(password)"
            )
        case .unsupportedAuthMechanism:
            return .init(
                cause: .unsupportedAuthentication,
                "\(server) asks user \(location.user) for an authentication method logoutd does not speak (\(error.underlying.map { "\($0)" } ?? "?")): give the user scram-sha-256, md5, password or trust in the server's pg_hba.conf"
            )
        case .server:
            break
        default:
            return nil
        }
        let message = error.serverInfo?[.message] ?? "?"
        switch error.serverInfo?[.sqlState] {
        case "28P01":
            return .init(
                cause: passwordGiven ? .passwordRefused : .passwordMissing,
                passwordGiven
                    ? "\(server) refuses the password of user \(location.user): correct \(password) (or the user in database.url)"
                    : "\(server) refuses user \(location.user) without a password: set \(password)"
            )
        case "28000":
            return .init(
                cause: .userRefused,
                "\(server) refuses user \(location.user) (\(message)): correct the user in database.url, or let it in through the server's pg_hba.conf"
            )
        case "3D000":
            return .init(
                cause: .unknownDatabase,
                "\(server) has no database \(location.database): create it (createdb -O \(location.user) \(location.database)) or correct the database in database.url"
            )
        case let state:
            return .init(
                cause: .server,
                "\(server) refused the connection (\(message), SQLSTATE \(state ?? "?")): see the server's log"
            )
        }
    }

    /// The certificate the server presented, and what to change so that it is accepted.
    private static func tlsFailure(_ error: any Error, location: PostgresLocation) -> Self {
        let server = "the PostgreSQL server at \(location.address)"
        let mode = "sslmode=\(location.tls.rawValue)"
        if let error = error as? NIOSSLExtraError, error == .failedToValidateHostname {
            return .init(
                cause: .tlsHandshake,
                "\(server) presents a certificate that does not name \(location.host) (\(mode)): write a name the certificate holds as the host in database.url, or use sslmode=verify-ca to leave the name unchecked"
            )
        }
        if "\(error)".contains("CERTIFICATE_VERIFY_FAILED") {
            let roots = location.rootCertificates.map { "the CA of sslrootcert=\($0)" } ?? "the system's roots"
            return .init(
                cause: .tlsHandshake,
                "\(server) presents a certificate that does not chain to \(roots) (\(mode)): name the CA that signed it in sslrootcert=PATH in database.url"
            )
        }
        return .init(cause: .tlsHandshake, "the TLS handshake with \(server) failed (\(mode)): \(error)")
    }

    /// The socket never got to PostgreSQL: refused, unreachable, or the name does not resolve.
    private static func connectFailure(_ error: NIOConnectionError, location: PostgresLocation) -> Self {
        let server = "the PostgreSQL server at \(location.address)"
        let errors = error.connectionErrors.map(\.error)
        if errors.isEmpty, error.dnsAError != nil || error.dnsAAAAError != nil {
            return .init(
                cause: .unknownHost,
                "the host \(location.host) of database.url does not resolve: correct the host in database.url"
            )
        }
        if !errors.isEmpty, errors.allSatisfy({ ($0 as? IOError)?.errnoCode == ECONNREFUSED }) {
            return .init(
                cause: .refused,
                "nothing listens at \(location.address) (connection refused): start PostgreSQL there, or correct the host and port in database.url"
            )
        }
        if errors.contains(where: isConnectTimeout) {
            return .init(
                cause: .noAnswer,
                "\(server) did not answer the connection: check that PostgreSQL runs there and that database.url names its host and port"
            )
        }
        let reasons = errors.map { error in
            (error as? IOError).map { String(cString: strerror($0.errnoCode)) } ?? "\(error)"
        }
        return .init(
            cause: .unreachable,
            "\(server) cannot be reached (\(Set(reasons).sorted().joined(separator: ", "))): check the host and port in database.url and the network between"
        )
    }

    /// postgres-nio wraps what NIO threw in `PSQLError(code: connectionError)`.
    private static func underlying(_ error: any Error) -> any Error {
        var error = error
        while let wrapped = (error as? PSQLError)?.underlying { error = wrapped }
        return error
    }

    private static func isConnectTimeout(_ error: any Error) -> Bool {
        if case .connectTimeout = error as? ChannelError { return true }
        return false
    }

    /// `2 s`, `1.5 s`: the operator wrote a duration, not a `Duration`'s description.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0
            ? "\(milliseconds / 1000) s" : String(format: "%.1f s", Double(milliseconds) / 1000)
    }

    /// The probe's own deadline passed.
    struct NoAnswer: Error {}
}
