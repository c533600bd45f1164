/// Every route of the admin listener and the spellings an attacker tries on each (SEC-7). The unit
/// tests check this table against the router itself, so a route added without a row fails them;
/// the end-to-end tests send the same rows to the real binary.
public enum AdminRouteTable {
    /// `METHOD /path`, parameters as Hummingbird describes them (`{name}`).
    public static let open: [String] = [
        "GET /healthz",
        "GET /admin/login",
        "POST /admin/login",
        "GET /admin/assets/logoutd.css",
    ]

    /// Routes that answer nothing successful without the token (or, for the pages, a session).
    public static let guarded: [String] = [
        "GET /metrics",
        "GET /admin/v1/issuers", "POST /admin/v1/issuers", "GET /admin/v1/issuers/{name}",
        "PATCH /admin/v1/issuers/{name}", "DELETE /admin/v1/issuers/{name}",
        "GET /admin/v1/rps", "POST /admin/v1/rps", "GET /admin/v1/rps/{client_id}",
        "PATCH /admin/v1/rps/{client_id}", "DELETE /admin/v1/rps/{client_id}",
        "GET /admin/v1/sessions", "POST /admin/v1/sessions", "DELETE /admin/v1/sessions/{id}",
        "GET /admin/v1/events", "GET /admin/v1/events/{id}",
        "GET /admin/v1/deliveries", "GET /admin/v1/deliveries/activity", "GET /admin/v1/deliveries/{id}",
        "POST /admin/v1/deliveries/{id}/retry", "POST /admin/v1/deliveries/recover",
        "GET /admin/v1/revocations", "POST /admin/v1/revocations/{id}/retry",
        "POST /admin/v1/logout",
        "GET /admin/v1/keys", "POST /admin/v1/keys/rotate", "GET /admin/v1/backup",
        "POST /admin/v1/ssf/receivers", "GET /admin/v1/ssf/receivers", "GET /admin/v1/ssf/receivers/{name}",
        "DELETE /admin/v1/ssf/receivers/{name}", "GET /admin/v1/ssf/streams", "GET /admin/v1/ssf/streams/{id}/sets",
        // The pages: a session cookie or the token.
        "GET /admin", "POST /admin/logout", "POST /admin/deliveries/{id}/retry",
        "POST /admin/revocations/{id}/retry",
    ]

    /// The guarded routes of the JSON API, which answer `401` (not a page's redirect) without it.
    public static var api: [String] { guarded.filter { $0.contains(" /admin/v1/") || $0 == "GET /metrics" } }

    /// Paths no route serves: `401` without the token, `404` only with it.
    public static let unknown: [String] = [
        "GET /nothing", "GET /admin/v1", "GET /admin/v1/", "GET /admin/v2/issuers", "GET /admin/v1/issuer",
        "PUT /admin/v1/issuers", "GET /admin/v1/issuers/x/y", "POST /healthz", "GET /.env",
    ]

    /// A route's method and a concrete path (each parameter `1`, a valid id and name alike).
    public static func split(_ route: String) -> (method: String, path: String) {
        let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
        let path = parts[1].split(separator: "/").map { $0.hasPrefix("{") ? "1" : String($0) }
        return (parts[0], "/" + path.joined(separator: "/"))
    }

    /// The same route, spelt as clients and attackers spell it: empty and dot segments, `..`,
    /// percent-encoding, case, a trailing `/` or `;`, matrix parameters, a query. Whichever of
    /// these the router resolves to the route, the route's own check must run.
    public static func spellings(of path: String) -> [String] {
        let segments = path.split(separator: "/").map(String.init)
        let first = segments[0]
        let rest = segments.dropFirst().joined(separator: "/")
        let tail = rest.isEmpty ? "" : "/" + rest
        var spellings = [
            path,
            "/" + path,
            "/\(first)/" + (rest.isEmpty ? "" : "/" + rest),
            "/\(first)/.\(tail)",
            "/x/..\(path)",
            "/\(first)/x/..\(tail)",
            "/" + percentEncoded(first) + tail,
            "/%" + hex(first.utf8.first!) + first.dropFirst() + tail,
            path + "/",
            path + "//",
            path + "/.",
            path + ";",
            path + ";x=1",
            "/\(first);\(tail)",
            path.uppercased(),
            "/" + first.prefix(1).uppercased() + first.dropFirst() + tail,
            path.replacingOccurrences(of: "/", with: "//"),
            path + "%2F",
            "/" + first + "%2F" + rest,
            path + "?x=1",
            path + "%00",
            path + "%20",
        ]
        if segments.count > 1 {
            let second = segments[1]
            let after = segments.dropFirst(2).joined(separator: "/")
            spellings.append("/\(first)/" + percentEncoded(second) + (after.isEmpty ? "" : "/" + after))
            spellings.append("/\(first)/\(second)/../\(second)" + (after.isEmpty ? "" : "/" + after))
            spellings.append("/\(first)/\(second)/%2e%2e/\(second)" + (after.isEmpty ? "" : "/" + after))
        }
        return spellings
    }

    static func percentEncoded(_ text: String) -> String {
        text.utf8.map { "%" + hex($0) }.joined()
    }

    static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0xF)]])
    }
}

extension String {
    fileprivate func replacingOccurrences(of target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
