import Foundation
import Synchronization

/// An RP's URL with what every attempt reads from it, parsed once per URL rather than once per
/// attempt: Foundation's `URL` parses its string again for each of `host`, `port`, `path` and
/// `query`, 15,000 instructions a delivery together (callgrind).
///
/// The request target is the path and query as registered, percent-encoding included: decoded,
/// `/bcl%20x` went out as `/bcl x`, which NIO's request validation refused, and an encoded `/`
/// or `?` would have named another resource.
struct Endpoint: Sendable {
    let url: URL
    let secure: Bool
    /// As the URL writes it; `nil` or empty is refused where a host is needed.
    let host: String?
    /// The host as connections and pinned addresses are keyed (`GuardedHTTPClients.normalizedHost`).
    let normalizedHost: String
    /// The connection's port: the URL's, or the scheme's default.
    let port: Int
    /// The request line's target: never empty.
    let target: String
    /// The `Host` header: the host, bracketed if it is an IPv6 literal, with a port that is not
    /// the scheme's default.
    let hostHeader: String

    init(url: URL) {
        self.url = url
        secure = url.scheme?.lowercased() == "https"
        host = url.host
        port = url.port ?? (secure ? 443 : 80)
        let path = url.path(percentEncoded: true)
        var target = path.isEmpty ? "/" : path
        if let query = url.query(percentEncoded: true) { target += "?" + query }
        self.target = target
        normalizedHost = GuardedHTTPClients.normalizedHost(host ?? "")
        let bracketed = normalizedHost.contains(":") ? "[\(normalizedHost)]" : normalizedHost
        hostHeader = port == (secure ? 443 : 80) ? bracketed : "\(bracketed):\(port)"
    }

    /// `nil` unless `uri` is an http(s) URL (the scheme in any case, as registration takes it).
    init?(_ uri: String) {
        guard let url = URL(string: uri), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https"
        else { return nil }
        self.init(url: url)
    }
}

/// The endpoints of the URLs attempted lately, by their text. Bounded: past `capacity` URLs
/// (registrations come and go) it starts again empty rather than grow.
///
/// Keyed by the text's bytes: `String` equality takes "é" and "e" + U+0301 for one text, and
/// would send one RP's logouts to the path of another whose URL differs only so.
final class Endpoints: Sendable {
    private let parsed = Mutex<[[UInt8]: Endpoint]>([:])
    private let capacity: Int

    init(capacity: Int = 4096) {
        self.capacity = capacity
    }

    /// How many URLs are kept now.
    var count: Int { parsed.withLock { $0.count } }

    func endpoint(_ uri: String) -> Endpoint? {
        let key = Array(uri.utf8)
        if let known = parsed.withLock({ $0[key] }) { return known }
        guard let endpoint = Endpoint(uri) else { return nil }
        parsed.withLock { parsed in
            if parsed.count >= capacity { parsed.removeAll(keepingCapacity: true) }
            parsed[key] = endpoint
        }
        return endpoint
    }
}
