import Configuration
import Foundation
import LogoutCore
import SystemPackage

/// The daemon's settings (contract C2): YAML file, overridden by `LOGOUTD_*` environment variables.
///
/// Every value is read as text and parsed here, so a wrong type is an error that names the key,
/// never a silent fallback to the default.
public struct LogoutdConfiguration: Sendable, Equatable {
    public var issuer = "http://127.0.0.1:8080"
    public var publicListen = ListenAddress.tcp(host: "127.0.0.1", port: 8080)
    public var adminListen = ListenAddress.tcp(host: "127.0.0.1", port: 8081)
    public var adminTokenFile = "data/admin-token"
    public var databasePath = "data/logoutd.sqlite3"
    /// How long a write waits for a lock held by another process before answering 503.
    public var databaseBusyTimeout: Double = 2
    /// How long events, deliveries and ended sessions stay in the log.
    public var databaseRetention: Double = 30 * 86_400
    public var keysDirectory = "data/keys"
    public var deliveryTimeout: Double = 10
    public var deliveryConnectTimeout: Double = 5
    public var maxAttempts = 10
    public var backoffInitial: Double = 5
    public var backoffMax: Double = 3600
    public var backoffMultiplier: Double = 4
    public var window: Double = 86_400
    public var concurrency = 64
    public var perRPConcurrency = 8
    public var allowPrivateNetworks = false
    /// Maximum age of an inbound token's `iat` (IN-10).
    public var tokenMaxAge: Double = 600
    public var clockSkew: Double = 60
    /// Graceful stop: how long attempts in flight may take to finish.
    public var shutdownTimeout: Double = 15
    public var logLevel = "info"

    public init() {}

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    /// Loads `path` (or only the environment and defaults when `nil`). Relative paths are made
    /// absolute against the config file's folder, or the working folder without a file.
    public static func load(
        path: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> LogoutdConfiguration {
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: environment.filter { $0.key.hasPrefix("LOGOUTD_") })
                .prefixKeys(with: "logoutd")
        ]
        var base = FileManager.default.currentDirectoryPath
        if let path {
            guard FileManager.default.fileExists(atPath: path) else {
                throw Failure(description: "config file \(path) does not exist")
            }
            do {
                providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
            } catch {
                throw Failure(description: "config file \(path) is not valid YAML: \(error)")
            }
            let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
            base = absolute.deletingLastPathComponent().standardizedFileURL.path
        }
        return try parse(ConfigReader(providers: providers), baseDirectory: base)
    }

    static func parse(_ reader: ConfigReader, baseDirectory: String) throws -> LogoutdConfiguration {
        let values = ConfigValues(reader: reader)
        var config = LogoutdConfiguration()
        config.issuer = try values.string("issuer") ?? config.issuer
        if let url = URL(string: config.issuer), url.scheme == "http" || url.scheme == "https", url.host != nil,
            url.query == nil, url.fragment == nil
        {
        } else {
            throw Failure(
                description:
                    "issuer must be an http(s) URL without query or fragment, such as https://logout.example.com"
            )
        }
        if let text = try values.string("public.listen") {
            config.publicListen = try ListenAddress.parse(text, key: "public.listen")
        }
        if let text = try values.string("admin.listen") {
            config.adminListen = try ListenAddress.parse(text, key: "admin.listen")
        }
        config.adminTokenFile = absolute(
            try values.string("admin.token_file") ?? config.adminTokenFile,
            base: baseDirectory
        )
        config.databasePath = absolute(try values.string("database.path") ?? config.databasePath, base: baseDirectory)
        config.databaseBusyTimeout = try values.duration("database.busy_timeout") ?? config.databaseBusyTimeout
        config.databaseRetention = try values.duration("database.retention") ?? config.databaseRetention
        config.keysDirectory = absolute(try values.string("keys.dir") ?? config.keysDirectory, base: baseDirectory)
        config.deliveryTimeout = try values.duration("delivery.timeout") ?? config.deliveryTimeout
        config.deliveryConnectTimeout = try values.duration("delivery.connect_timeout") ?? config.deliveryConnectTimeout
        config.maxAttempts = try values.int("delivery.max_attempts", in: 1...1000) ?? config.maxAttempts
        config.backoffInitial = try values.duration("delivery.backoff_initial") ?? config.backoffInitial
        config.backoffMax = try values.duration("delivery.backoff_max") ?? config.backoffMax
        config.backoffMultiplier =
            try values.double("delivery.backoff_multiplier", in: 1...100) ?? config.backoffMultiplier
        config.window = try values.duration("delivery.window") ?? config.window
        config.concurrency = try values.int("delivery.concurrency", in: 1...10_000) ?? config.concurrency
        config.perRPConcurrency =
            try values.int("delivery.per_rp_concurrency", in: 1...10_000) ?? config.perRPConcurrency
        config.allowPrivateNetworks = try values.bool("delivery.allow_private_networks") ?? config.allowPrivateNetworks
        config.tokenMaxAge = try values.duration("tokens.max_age") ?? config.tokenMaxAge
        config.clockSkew = try values.duration("tokens.clock_skew") ?? config.clockSkew
        config.shutdownTimeout = try values.duration("shutdown_timeout") ?? config.shutdownTimeout
        config.logLevel = try values.string("log.level") ?? config.logLevel
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(config.logLevel) else {
            throw Failure(description: "log.level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard config.backoffInitial > 0, config.backoffMax >= config.backoffInitial else {
            throw Failure(description: "delivery.backoff_initial must be positive and at most delivery.backoff_max")
        }
        guard config.deliveryTimeout > 0, config.deliveryConnectTimeout > 0 else {
            throw Failure(description: "delivery.timeout and delivery.connect_timeout must be positive")
        }
        if case .tcp(let host, _) = config.adminListen, !ListenAddress.isLoopback(host) {
            throw Failure(
                description:
                    "admin.listen must be a loopback address or a unix: socket path; the admin API has no TLS (SEC-3)"
            )
        }
        return config
    }

    static func absolute(_ path: String, base: String) -> String {
        path.hasPrefix("/")
            ? path
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
                .standardizedFileURL.path
    }

    public var retryPolicy: RetryPolicy {
        RetryPolicy(
            maximumAttempts: maxAttempts,
            initialBackoff: backoffInitial,
            maximumBackoff: backoffMax,
            multiplier: backoffMultiplier,
            window: window
        )
    }

    /// The effective values, for `check-config` (this file holds no secrets; the admin token
    /// lives in its own file and is never printed).
    public var summary: [(String, String)] {
        [
            ("issuer", issuer),
            ("public.listen", publicListen.description),
            ("admin.listen", adminListen.description),
            ("admin.token_file", adminTokenFile),
            ("database.path", databasePath),
            ("database.busy_timeout", formatSeconds(databaseBusyTimeout)),
            ("database.retention", formatSeconds(databaseRetention)),
            ("keys.dir", keysDirectory),
            ("delivery.timeout", formatSeconds(deliveryTimeout)),
            ("delivery.connect_timeout", formatSeconds(deliveryConnectTimeout)),
            ("delivery.max_attempts", String(maxAttempts)),
            ("delivery.backoff_initial", formatSeconds(backoffInitial)),
            ("delivery.backoff_max", formatSeconds(backoffMax)),
            ("delivery.backoff_multiplier", String(backoffMultiplier)),
            ("delivery.window", formatSeconds(window)),
            ("delivery.concurrency", String(concurrency)),
            ("delivery.per_rp_concurrency", String(perRPConcurrency)),
            ("delivery.allow_private_networks", String(allowPrivateNetworks)),
            ("tokens.max_age", formatSeconds(tokenMaxAge)),
            ("tokens.clock_skew", formatSeconds(clockSkew)),
            ("shutdown_timeout", formatSeconds(shutdownTimeout)),
            ("log.level", logLevel),
        ]
    }
}

/// Reads keys as text whatever their YAML type, and parses them with errors that name the key.
struct ConfigValues {
    let reader: ConfigReader

    func string(_ key: String) throws -> String? {
        let configKey = ConfigKey(key)
        if let text = reader.string(forKey: configKey) { return text }
        return nil
    }

    func duration(_ key: String) throws -> Double? {
        guard let text = try string(key) else { return nil }
        do {
            return try DurationParser.parse(text)
        } catch {
            throw LogoutdConfiguration.Failure(description: "\(key): \(error.description)")
        }
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
}

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

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    public var description: String {
        switch self {
        case .tcp(let host, let port): return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        case .unix(let path): return "unix:" + path
        }
    }
}
