import Foundation

/// Where the shared store lives, read from `database.url`
/// (`postgres://USER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=PATH`).
///
/// The password never comes from the URL: a URL ends up in config files, process lists and
/// logs, so a password written there is refused with the two places it belongs instead.
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

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
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

    /// - Throws: `Invalid` naming what is wrong: scheme, a password in the URL, missing parts,
    ///   an unknown `sslmode` or query parameter, `sslrootcert` where no certificate is checked.
    public init(url text: String) throws {
        guard let components = URLComponents(string: text),
            let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme)
        else {
            throw Invalid(description: "database.url must look like postgres://USER@HOST:PORT/DB")
        }
        if components.password != nil {
            throw Invalid(
                description:
                    "database.url must not hold a password: give it in LOGOUTD_DATABASE_PASSWORD or the credential file database-password"
            )
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw Invalid(description: "database.url names no user (postgres://USER@HOST:PORT/DB)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Invalid(description: "database.url names no host (postgres://USER@HOST:PORT/DB)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/"), let database = path.removingPercentEncoding else {
            throw Invalid(description: "database.url names no database (postgres://USER@HOST:PORT/DB)")
        }
        var tls = TLSMode.verifyFull
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                tls = try Self.mode(item.value)
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw Invalid(description: "database.url: sslrootcert names no file")
                }
                // libpq's word for the system's roots, which are also what no sslrootcert means.
                rootCertificates = path == "system" ? nil : path
            default:
                throw Invalid(
                    description: "database.url: unknown parameter \(item.name) (only sslmode and sslrootcert are read)"
                )
            }
        }
        if rootCertificates != nil, !tls.verifiesCertificate {
            throw Invalid(
                description:
                    "database.url: sslrootcert is read with sslmode=verify-ca or verify-full only; sslmode=\(tls.rawValue) checks no certificate"
            )
        }
        // Brackets of an IPv6 literal are URL syntax, not part of the address.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(
            host: bare,
            port: components.port ?? 5432,
            user: user,
            database: database,
            tls: tls,
            rootCertificates: rootCertificates
        )
    }

    /// libpq's `prefer` and `allow` are refused: they fall back to plain TCP without a word when
    /// the server offers no TLS, so nobody would notice that the connection is not protected.
    private static func mode(_ value: String?) throws -> TLSMode {
        if let mode = value.flatMap(TLSMode.init(rawValue:)) { return mode }
        let known = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
        if value == "prefer" || value == "allow" {
            throw Invalid(
                description:
                    "database.url: sslmode=\(value ?? "") is not offered, since it falls back to plain TCP unnoticed; sslmode must be one of \(known)"
            )
        }
        throw Invalid(description: "database.url: sslmode must be one of \(known)")
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
