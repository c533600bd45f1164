import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Where a listener binds: `host:port`, `[v6]:port`, or `unix:/path`.
public enum ListenAddress: Sendable, Equatable, CustomStringConvertible {
    case tcp(host: String, port: Int)
    case unix(path: String)

    static func parse(_ text: String, key: String) throws -> ListenAddress {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst(5))
            guard path.hasPrefix("/") else {
                throw LogoutdConfiguration.Failure(description: "\(key): a unix socket path must be absolute")
            }
            return .unix(path: path)
        }
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]),
            (0...65535).contains(port)
        else {
            throw LogoutdConfiguration.Failure(
                description: "\(key) must be host:port (such as 127.0.0.1:8080) or unix:/path"
            )
        }
        var host = String(text[..<colon])
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        guard !host.isEmpty else { throw LogoutdConfiguration.Failure(description: "\(key) has no host") }
        return .tcp(host: host, port: port)
    }

    /// Loopback only for `localhost` and IP literals in 127.0.0.0/8 or `::1`: a name such as
    /// `127.evil.example` is a name, resolved by DNS to anything.
    static func isLoopback(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { $0[0] } == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let bytes = withUnsafeBytes(of: &v6) { Array($0) }
            return bytes[0..<15].allSatisfy { $0 == 0 } && bytes[15] == 1
        }
        return false
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:" + path
        }
    }
}
