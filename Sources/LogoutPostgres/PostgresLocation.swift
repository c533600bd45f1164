import Foundation

/// Where the shared store lives, read from `database.url`
/// (`postgres://USER@HOST:PORT/DB?sslmode=verify-full`).
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
        /// Encrypted, the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public var host: String
    public var port: Int
    public var user: String
    public var database: String
    public var tls: TLSMode

    public init(host: String, port: Int = 5432, user: String, database: String, tls: TLSMode) {
        self.host = host
        self.port = port
        self.user = user
        self.database = database
        self.tls = tls
    }

    /// - Throws: `Invalid` naming what is wrong: scheme, a password in the URL, missing parts,
    ///   an unknown `sslmode` or query parameter.
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
        for item in components.queryItems ?? [] {
            guard item.name == "sslmode" else {
                throw Invalid(description: "database.url: unknown parameter \(item.name) (only sslmode is read)")
            }
            guard let mode = item.value.flatMap(TLSMode.init(rawValue:)) else {
                let known = TLSMode.allCases.map(\.rawValue).joined(separator: ", ")
                throw Invalid(description: "database.url: sslmode must be one of \(known)")
            }
            tls = mode
        }
        // Brackets of an IPv6 literal are URL syntax, not part of the address.
        let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.init(host: bare, port: components.port ?? 5432, user: user, database: database, tls: tls)
    }

    /// The URL without anything secret, for logs and errors.
    public var description: String {
        let shownHost = host.contains(":") ? "[\(host)]" : host
        return "postgres://\(user)@\(shownHost):\(port)/\(database)?sslmode=\(tls.rawValue)"
    }
}
