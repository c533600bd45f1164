import Configuration
import LogoutCore

/// Reads keys as text whatever their YAML type, and parses them with errors that name the key.
struct ConfigValues {
    let reader: ConfigReader

    func string(_ key: String) throws -> String? {
        reader.string(forKey: ConfigKey(key))
    }

    func duration(_ key: String) throws -> Duration? {
        guard let text = try string(key) else { return nil }
        do {
            return try DurationParser.parse(text)
        } catch {
            throw LogoutdConfiguration.Failure(description: "\(key): \(error.description)")
        }
    }

    /// A duration that must be positive.
    func positiveDuration(_ key: String) throws -> Duration? {
        guard let value = try duration(key) else { return nil }
        guard value > .zero else { throw LogoutdConfiguration.Failure(description: "\(key) must be more than 0s") }
        return value
    }

    func int(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let text = try string(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw LogoutdConfiguration.Failure(
                description: "\(key) must be a whole number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    func double(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
        guard let text = try string(key) else { return nil }
        guard let value = Double(text), range.contains(value) else {
            throw LogoutdConfiguration.Failure(
                description: "\(key) must be a number from \(range.lowerBound) to \(range.upperBound)"
            )
        }
        return value
    }

    func bool(_ key: String) throws -> Bool? {
        guard let text = try string(key) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on", "1": return true
        case "false", "no", "off", "0": return false
        default: throw LogoutdConfiguration.Failure(description: "\(key) must be true or false")
        }
    }

    func listenerLimits(_ prefix: String, defaults: ListenerLimits) throws -> ListenerLimits {
        var limits = defaults
        limits.maxConnections = try int("\(prefix).max_connections", in: 1...1_000_000) ?? limits.maxConnections
        limits.headerTimeout = try positiveDuration("\(prefix).header_timeout") ?? limits.headerTimeout
        limits.bodyTimeout = try positiveDuration("\(prefix).body_timeout") ?? limits.bodyTimeout
        limits.idleTimeout = try positiveDuration("\(prefix).idle_timeout") ?? limits.idleTimeout
        limits.maxHeaderBytes = try int("\(prefix).max_header_bytes", in: 1024...1_048_576) ?? limits.maxHeaderBytes
        return limits
    }
}
