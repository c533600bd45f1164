import Foundation
import Yams

/// Every key the configuration knows (contract C2), and the check that refuses any other: a typo
/// such as `databse.path` must not start the daemon on defaults without a word.
enum ConfigSchema {
    static let keys: [String] = [
        "issuer",
        "public.listen", "public.max_connections", "public.header_timeout", "public.body_timeout",
        "public.idle_timeout", "public.max_header_bytes",
        "admin.listen", "admin.token_file", "admin.max_connections", "admin.header_timeout", "admin.body_timeout",
        "admin.idle_timeout", "admin.max_header_bytes", "admin.page_session_lifetime", "admin.page_idle_timeout",
        "database.path", "database.url", "database.max_connections", "database.busy_timeout", "database.retention",
        "database.rejected_retention",
        "keys.dir", "keys.secrets_file", "keys.rotation_overlap",
        "delivery.timeout", "delivery.connect_timeout", "delivery.max_attempts", "delivery.backoff_initial",
        "delivery.backoff_max", "delivery.backoff_multiplier", "delivery.window", "delivery.concurrency",
        "delivery.per_rp_concurrency", "delivery.allow_private_networks", "delivery.breaker_threshold",
        "delivery.breaker_pause", "delivery.breaker_max_pause", "delivery.lease",
        "tokens.max_age", "tokens.clock_skew", "tokens.unknown_kid_cooldown", "tokens.expired_hint_max_age",
        "limits.rejections_per_minute", "limits.issuer_rejections_per_minute",
        "ssf.retention",
        "tracing.otlp_endpoint", "tracing.protocol", "tracing.sample_ratio", "tracing.service_name", "tracing.ui_url",
        "shutdown_timeout",
        "log.level",
    ]

    /// `LOGOUTD_` variables that are not config keys and belong to tools around the daemon.
    /// `LOGOUTD_DATABASE_PASSWORD` is read by itself: a password is no config key, so that no
    /// file or `check-config` output ever holds it. `LOGOUTD_FAULTS` asks the test suite for its
    /// fault tests (scripts/faults): the daemons those tests start inherit it.
    static let foreignEnvironmentPrefixes = [
        "LOGOUTD_TEST_", "LOGOUTD_BENCH_", "LOGOUTD_DATABASE_PASSWORD", "LOGOUTD_FAULTS",
    ]

    static func environmentName(_ key: String) -> String {
        "LOGOUTD_" + key.uppercased().replacingOccurrences(of: ".", with: "_")
    }

    /// Refuses a YAML file with a key we do not know, naming it, its line and the nearest key.
    /// - Returns: false when the file holds no value at all (only comments): all defaults.
    @discardableResult
    static func checkFile(yaml text: String, path: String) throws -> Bool {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            throw LogoutdConfiguration.Failure(description: "config file \(path) is not valid YAML: \(error)")
        }
        guard let root else { return false }
        guard root.mapping != nil else {
            throw LogoutdConfiguration.Failure(description: "config file \(path) must be a YAML mapping of keys")
        }
        let known = Set(keys)
        let sections = Set(keys.compactMap { $0.split(separator: ".").first.map(String.init) })
        for (key, line) in leaves(of: root, prefix: "") where !known.contains(key) {
            let at = line.map { " (line \($0))" } ?? ""
            if sections.contains(key) {
                throw LogoutdConfiguration.Failure(
                    description: "config file \(path)\(at): \(key) must be a mapping of keys such as \(key).…"
                )
            }
            let hint = nearest(to: key, in: keys).map { "; did you mean \($0)?" } ?? ""
            throw LogoutdConfiguration.Failure(description: "config file \(path)\(at): unknown key \(key)\(hint)")
        }
        return true
    }

    /// Refuses a `LOGOUTD_*` variable that names no key.
    static func checkEnvironment(_ environment: [String: String]) throws {
        let names = Dictionary(uniqueKeysWithValues: keys.map { (environmentName($0), $0) })
        for name in environment.keys.sorted() where name.hasPrefix("LOGOUTD_") && names[name] == nil {
            if foreignEnvironmentPrefixes.contains(where: { name.hasPrefix($0) }) { continue }
            let hint = nearest(to: name, in: Array(names.keys)).map { "; did you mean \($0)?" } ?? ""
            throw LogoutdConfiguration.Failure(
                description: "unknown environment variable \(name): it names no configuration key\(hint)"
            )
        }
    }

    /// Dotted paths of the scalar (and sequence) values, with the line of their key.
    static func leaves(of node: Node, prefix: String) -> [(String, Int?)] {
        guard let mapping = node.mapping else { return [(prefix, node.mark?.line)] }
        var result: [(String, Int?)] = []
        for (key, value) in mapping {
            let name = key.string ?? "?"
            let path = prefix.isEmpty ? name : prefix + "." + name
            if value.mapping != nil {
                result += leaves(of: value, prefix: path)
            } else {
                result.append((path, key.mark?.line))
            }
        }
        return result
    }

    /// The known key closest to `key` by edit distance, when it is close enough to be a typo.
    static func nearest(to key: String, in candidates: [String]) -> String? {
        var best: (candidate: String, distance: Int)?
        for candidate in candidates.sorted() {
            let distance = editDistance(key, candidate)
            if best == nil || distance < best!.distance { best = (candidate, distance) }
        }
        guard let best, best.distance <= max(3, key.count / 3) else { return nil }
        return best.candidate
    }

    static func editDistance(_ lhs: String, _ rhs: String) -> Int {
        let a = Array(lhs.utf8)
        let b = Array(rhs.utf8)
        if a.isEmpty { return b.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in stride(from: 1, through: b.count, by: 1) {
                let substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)
                current[j] = min(previous[j] + 1, current[j - 1] + 1, substitution)
            }
            previous = current
        }
        return previous[b.count]
    }
}
