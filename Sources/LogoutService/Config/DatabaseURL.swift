import Foundation

/// `database.url` (contract C2): the shared PostgreSQL store of several replicas,
/// `postgres://USER@HOST:PORT/DB?sslmode=verify-full&sslrootcert=PATH`, or with a primary and
/// its standbys, `postgres://USER@HOST1:PORT1,HOST2:PORT2/DB?target_session_attrs=read-write`
/// (libpq's multi-host form): the server that accepts writes is used, and found again after a
/// failover.
///
/// The configuration's own reading of the URL, in libpq's words; the composition root hands the
/// store its parts (`PostgresLocation`). The password never comes from the URL: a URL ends up in
/// config files, process lists and logs, so a password written there is refused with the two
/// places it belongs instead.
public struct DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection to the server is protected, named after libpq's `sslmode`.
    public enum SSLMode: String, Sendable, CaseIterable {
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

    /// A server the URL names.
    public struct Endpoint: Sendable, Equatable {
        public var host: String
        public var port: Int
    }

    public var host: String
    public var port: Int
    /// The servers named after the first one.
    public var alternates: [Endpoint] = []
    /// `target_session_attrs=read-write` or `primary`: only a server that accepts writes.
    public var requiresPrimary = false
    public var user: String
    public var database: String
    public var sslMode: SSLMode
    /// `sslrootcert`: the CA certificates (PEM) a `verify-ca` or `verify-full` server certificate
    /// must chain to; `nil` for the system's roots.
    public var rootCertificates: String?

    /// - Throws: `LogoutdConfiguration.Failure` naming what is wrong: scheme, a password in the
    ///   URL, missing parts, an unknown `sslmode` or query parameter, `sslrootcert` where no
    ///   certificate is checked.
    public init(_ text: String) throws {
        let (single, alternates) = try Self.splittingHosts(text)
        guard let components = URLComponents(string: single),
            let scheme = components.scheme?.lowercased(), ["postgres", "postgresql"].contains(scheme)
        else {
            throw Self.invalid("database.url must look like postgres://USER@HOST:PORT/DB")
        }
        if components.password != nil {
            throw Self.invalid(
                "database.url must not hold a password: give it in LOGOUTD_DATABASE_PASSWORD or the credential file database-password"
            )
        }
        guard let user = components.user?.removingPercentEncoding, !user.isEmpty else {
            throw Self.invalid("database.url names no user (postgres://USER@HOST:PORT/DB)")
        }
        guard let host = components.host, !host.isEmpty else {
            throw Self.invalid("database.url names no host (postgres://USER@HOST:PORT/DB)")
        }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        guard !path.isEmpty, !path.contains("/"), let database = path.removingPercentEncoding else {
            throw Self.invalid("database.url names no database (postgres://USER@HOST:PORT/DB)")
        }
        var sslMode = SSLMode.verifyFull
        var rootCertificates: String?
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                sslMode = try Self.mode(item.value)
            case "sslrootcert":
                guard let path = item.value, !path.isEmpty else {
                    throw Self.invalid("database.url: sslrootcert names no file")
                }
                // libpq's word for the system's roots, which are also what no sslrootcert means.
                rootCertificates = path == "system" ? nil : path
            case "target_session_attrs":
                switch item.value {
                case "read-write", "primary": requiresPrimary = true
                case "any": requiresPrimary = false
                default:
                    throw Self.invalid(
                        "database.url: target_session_attrs must be read-write, primary or any; logoutd writes, so a standby cannot serve it"
                    )
                }
            default:
                throw Self.invalid(
                    "database.url: unknown parameter \(item.name) (only sslmode, sslrootcert and target_session_attrs are read)"
                )
            }
        }
        if rootCertificates != nil, !sslMode.verifiesCertificate {
            throw Self.invalid(
                "database.url: sslrootcert is read with sslmode=verify-ca or verify-full only; sslmode=\(sslMode.rawValue) checks no certificate"
            )
        }
        if let port = components.port, !(1...65_535).contains(port) {
            throw Self.invalid("database.url: port \(port) is not a TCP port")
        }
        // Brackets of an IPv6 literal are URL syntax, not part of the address.
        self.host = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        self.port = components.port ?? 5432
        self.user = user
        self.database = database
        self.sslMode = sslMode
        self.rootCertificates = rootCertificates
        self.alternates = alternates
        if !alternates.isEmpty, !requiresPrimary {
            throw Self.invalid(
                "database.url names several hosts: add target_session_attrs=read-write, so that logoutd uses the one that accepts writes (the primary) and follows it to a promoted standby"
            )
        }
    }

    /// libpq's `HOST1:PORT1,HOST2:PORT2`: the URL with its first host only, for `URLComponents`,
    /// and the others.
    private static func splittingHosts(_ text: String) throws -> (String, [Endpoint]) {
        guard let schemeEnd = text.range(of: "://") else { return (text, []) }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        let userEnd = authority.lastIndex(of: "@")
        let hostList = userEnd.map { authority[authority.index(after: $0)...] } ?? authority
        let hosts = hostList.split(separator: ",", omittingEmptySubsequences: false)
        guard hosts.count > 1 else { return (text, []) }
        var alternates: [Endpoint] = []
        for written in hosts.dropFirst() {
            guard let parts = URLComponents(string: "postgres://" + written), let host = parts.host, !host.isEmpty,
                parts.path.isEmpty, parts.user == nil
            else {
                throw invalid(
                    "database.url: \"\(written)\" is not a HOST:PORT (postgres://USER@HOST1:PORT1,HOST2:PORT2/DB)"
                )
            }
            let bare = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
            let port = parts.port ?? 5432
            guard (1...65_535).contains(port) else {
                throw invalid("database.url: port \(port) of \(bare) is not a TCP port")
            }
            alternates.append(Endpoint(host: bare, port: port))
        }
        let prefix = text[..<hostList.startIndex]
        return (String(prefix) + hosts[0] + rest[authorityEnd...], alternates)
    }

    /// libpq's `prefer` and `allow` are refused: they fall back to plain TCP without a word when
    /// the server offers no TLS, so nobody would notice that the connection is not protected.
    private static func mode(_ value: String?) throws -> SSLMode {
        if let mode = value.flatMap(SSLMode.init(rawValue:)) { return mode }
        let known = SSLMode.allCases.map(\.rawValue).joined(separator: ", ")
        if value == "prefer" || value == "allow" {
            throw invalid(
                "database.url: sslmode=\(value ?? "") is not offered, since it falls back to plain TCP unnoticed; sslmode must be one of \(known)"
            )
        }
        throw invalid("database.url: sslmode must be one of \(known)")
    }

    private static func invalid(_ description: String) -> LogoutdConfiguration.Failure {
        LogoutdConfiguration.Failure(description: description)
    }

    /// The URL without anything secret, for logs, errors and `check-config`.
    public var description: String {
        let addresses = ([Endpoint(host: host, port: port)] + alternates).map {
            ($0.host.contains(":") ? "[\($0.host)]" : $0.host) + ":\($0.port)"
        }
        let root = rootCertificates.map { "&sslrootcert=\($0)" } ?? ""
        let target = requiresPrimary ? "&target_session_attrs=read-write" : ""
        return "postgres://\(user)@\(addresses.joined(separator: ","))/\(database)?sslmode=\(sslMode.rawValue)"
            + root + target
    }
}
