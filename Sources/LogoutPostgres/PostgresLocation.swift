import Foundation

/// Where the shared store lives and how its connections are protected, in libpq's terms: what
/// the daemon's `database.url` says, read by the configuration. The password is not part of it.
public struct PostgresLocation: Sendable, Equatable, CustomStringConvertible {
    /// How the connection to the server is protected, named after libpq's `sslmode`.
    public enum TLSMode: String, Sendable, CaseIterable {
        /// Plain TCP: loopback or a network the operator trusts.
        case disable
        /// Encrypted, the server's certificate not checked (libpq's `require`).
        case require
        /// Encrypted, the certificate's chain checked against the CA (`sslrootcert`, else the
        /// system's roots), not its host name: a server reached by an address its certificate
        /// does not name.
        case verifyCA = "verify-ca"
        /// Encrypted, the certificate checked against the CA and the host name.
        case verifyFull = "verify-full"

        /// Whether the server's certificate is checked against a CA.
        public var verifiesCertificate: Bool { self == .verifyCA || self == .verifyFull }
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode
    /// The CA certificates (PEM) a `verify-ca` or `verify-full` server certificate must chain to;
    /// `nil` for the system's roots.
    public var rootCertificates: String?

    public init(
        host: String,
        port: Int = 5432,
        user: String,
        database: String,
        tls: TLSMode,
        rootCertificates: String? = nil
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.tls = tls
        self.rootCertificates = rootCertificates
    }

    /// `host:port` as written in a URL, for messages.
    public var address: String {
        (host.contains(":") ? "[\(host)]" : host) + ":\(port)"
    }

    /// Said once at start with `sslmode=require`: the connection is encrypted, but to whoever
    /// answers at the address.
    public var certificateWarning: String? {
        guard tls == .require else { return nil }
        return
            "database.url has sslmode=require: the PostgreSQL server's certificate is not verified, so anyone who can take over \(address) can pose as the server; use sslmode=verify-ca with sslrootcert=PATH, or sslmode=verify-full"
    }

    /// The URL without anything secret, for logs and errors.
    public var description: String {
        let root = rootCertificates.map { "&sslrootcert=\($0)" } ?? ""
        return "postgres://\(user)@\(address)/\(database)?sslmode=\(tls.rawValue)" + root
    }
}
