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

    /// A server the URL names: `host:port`.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int

        public init(host: String, port: Int) {
            self.host = host
            self.port = port
        }

        /// As written in a URL, for messages.
        public var address: String { (host.contains(":") ? "[\(host)]" : host) + ":\(port)" }
    }

    /// The first server the URL names, or the one a failure is about.
    public var host: String
    public var port: Int
    /// The other servers, in the URL's order (libpq's multi-host URL): a standby that may be
    /// promoted. Empty for one server.
    public var alternates: [Endpoint]
    /// `target_session_attrs=read-write` (or `primary`): only a server that accepts writes is
    /// used, found by asking each in order; and found again when the one in use fails.
    public var requiresPrimary: Bool
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
        rootCertificates: String? = nil,
        alternates: [Endpoint] = [],
        requiresPrimary: Bool = false
    ) {
        self.host = host
        self.port = port
        self.alternates = alternates
        self.requiresPrimary = requiresPrimary
        self.user = user
        self.database = database
        self.tls = tls
        self.rootCertificates = rootCertificates
    }

    /// `host:port` as written in a URL, for messages.
    public var address: String { Endpoint(host: host, port: port).address }

    /// Every server, in the URL's order.
    public var endpoints: [Endpoint] { [Endpoint(host: host, port: port)] + alternates }

    /// This location with `endpoint` as its only server: what one connection is made to.
    public func at(_ endpoint: Endpoint) -> PostgresLocation {
        var location = self
        location.host = endpoint.host
        location.port = endpoint.port
        location.alternates = []
        return location
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
        let target = requiresPrimary ? "&target_session_attrs=read-write" : ""
        let addresses = endpoints.map(\.address).joined(separator: ",")
        return "postgres://\(user)@\(addresses)/\(database)?sslmode=\(tls.rawValue)" + root + target
    }
}
