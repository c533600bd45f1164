import Configuration
import Foundation
import LogoutCore
import SystemPackage

extension LogoutdConfiguration {
    /// Loads `path` (or only the environment and defaults when `nil`). Relative paths are made
    /// absolute against the config file's folder, or the working folder without a file. Unknown
    /// keys, in the file or as `LOGOUTD_*` variables, are errors.
    public static func load(
        path: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) async throws -> LogoutdConfiguration {
        let variables = environment.filter { $0.key.hasPrefix("LOGOUTD_") }
        try ConfigSchema.checkEnvironment(variables)
        var providers: [any ConfigProvider] = [
            EnvironmentVariablesProvider(environmentVariables: variables).prefixKeys(with: "logoutd")
        ]
        var base = FileManager.default.currentDirectoryPath
        if let path {
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "config file \(path) does not exist or cannot be read")
            }
            if try ConfigSchema.checkFile(yaml: String(decoding: data, as: UTF8.self), path: path) {
                do {
                    providers.append(try await FileProvider<YAMLSnapshot>(filePath: FilePath(path)))
                } catch {
                    throw Failure(description: "config file \(path) is not valid YAML: \(error)")
                }
            }
            let absolute = URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
            base = absolute.deletingLastPathComponent().standardizedFileURL.path
        }
        return try parse(
            ConfigReader(providers: providers),
            baseDirectory: base,
            credentialsDirectory: environment["CREDENTIALS_DIRECTORY"],
            otelEnvironment: environment.filter { $0.key.hasPrefix("OTEL_") }
        )
    }

    /// - Parameter credentialsDirectory: systemd's `$CREDENTIALS_DIRECTORY`: the admin token and
    ///   the secrets key are taken from it (`admin-token`, `secrets.key`) when present there and
    ///   not set explicitly.
    static func parse(
        _ reader: ConfigReader,
        baseDirectory: String,
        credentialsDirectory: String? = nil,
        otelEnvironment: [String: String] = [:]
    ) throws -> LogoutdConfiguration {
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
        config.publicLimits = try values.listenerLimits("public", defaults: config.publicLimits)
        if let text = try values.string("admin.listen") {
            config.adminListen = try ListenAddress.parse(text, key: "admin.listen")
        }
        config.adminLimits = try values.listenerLimits("admin", defaults: config.adminLimits)
        config.pageSessionLifetime = try values.duration("admin.page_session_lifetime") ?? config.pageSessionLifetime
        config.pageIdleTimeout = try values.duration("admin.page_idle_timeout") ?? config.pageIdleTimeout
        let credential = { (name: String) -> String? in
            guard let directory = credentialsDirectory, !directory.isEmpty else { return nil }
            let path = directory + "/" + name
            return FileManager.default.fileExists(atPath: path) ? path : nil
        }
        config.adminTokenFile = absolute(
            try values.string("admin.token_file") ?? credential("admin-token") ?? config.adminTokenFile,
            base: baseDirectory
        )
        let path = try values.string("database.path")
        config.databasePath = absolute(path ?? config.databasePath, base: baseDirectory)
        if let url = try values.string("database.url") {
            guard path == nil else {
                throw Failure(description: "database.url and database.path name two different stores: set one")
            }
            config.databaseURL = try DatabaseURL(url)
        }
        config.databasePasswordFile = credential("database-password")
        config.databaseMaxConnections =
            try values.int("database.max_connections", in: 2...1000) ?? config.databaseMaxConnections
        config.databaseBusyTimeout = try values.duration("database.busy_timeout") ?? config.databaseBusyTimeout
        config.databaseRetention = try values.duration("database.retention") ?? config.databaseRetention
        config.rejectedRetention = try values.duration("database.rejected_retention") ?? config.rejectedRetention
        config.ssfRetention = try values.positiveDuration("ssf.retention") ?? config.ssfRetention
        config.keysDirectory = absolute(try values.string("keys.dir") ?? config.keysDirectory, base: baseDirectory)
        config.secretsKeyFile = (try values.string("keys.secrets_file") ?? credential("secrets.key")).map {
            absolute($0, base: baseDirectory)
        }
        config.rotationOverlap = try values.positiveDuration("keys.rotation_overlap") ?? config.rotationOverlap
        config.credentialsDirectory = credentialsDirectory.flatMap { $0.isEmpty ? nil : $0 }
        config.deliveryTimeout = try values.duration("delivery.timeout") ?? config.deliveryTimeout
        config.deliveryConnectTimeout = try values.duration("delivery.connect_timeout") ?? config.deliveryConnectTimeout
        config.deliveryLease = try values.duration("delivery.lease") ?? config.deliveryLease
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
        config.breakerThreshold = try values.int("delivery.breaker_threshold", in: 1...1000) ?? config.breakerThreshold
        config.breakerPause = try values.positiveDuration("delivery.breaker_pause") ?? config.breakerPause
        config.breakerMaxPause = try values.positiveDuration("delivery.breaker_max_pause") ?? config.breakerMaxPause
        config.tokenMaxAge = try values.duration("tokens.max_age") ?? config.tokenMaxAge
        config.clockSkew = try values.duration("tokens.clock_skew") ?? config.clockSkew
        config.unknownKidCooldown = try values.duration("tokens.unknown_kid_cooldown") ?? config.unknownKidCooldown
        config.expiredHintMaxAge = try values.duration("tokens.expired_hint_max_age") ?? config.expiredHintMaxAge
        config.rejectionsPerClient =
            try values.int("limits.rejections_per_minute", in: 1...1_000_000) ?? config.rejectionsPerClient
        config.rejectionsPerIssuer =
            try values.int("limits.issuer_rejections_per_minute", in: 1...10_000_000) ?? config.rejectionsPerIssuer
        config.shutdownTimeout = try values.duration("shutdown_timeout") ?? config.shutdownTimeout
        config.logLevel = try values.string("log.level") ?? config.logLevel
        config.tracing = try TracingSettings.parse(values, environment: otelEnvironment)
        try config.validate()
        return config
    }

    func validate() throws {
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) else {
            throw Failure(description: "log.level must be one of trace, debug, info, notice, warning, error, critical")
        }
        guard backoffInitial > .zero, backoffMax >= backoffInitial else {
            throw Failure(description: "delivery.backoff_initial must be positive and at most delivery.backoff_max")
        }
        guard deliveryTimeout > .zero, deliveryConnectTimeout > .zero else {
            throw Failure(description: "delivery.timeout and delivery.connect_timeout must be positive")
        }
        // a claimed delivery may wait for the attempt ahead of it at its RP, then run its
        // own and store the outcome, all inside its lease.
        guard effectiveDeliveryLease >= deliveryTimeout * 2 + QueueSettings.outcomeMargin else {
            throw Failure(
                description: "delivery.lease must be at least twice delivery.timeout plus 5s "
                    + "(\(formatDuration(deliveryTimeout * 2 + QueueSettings.outcomeMargin)) with this timeout)"
            )
        }
        guard pageIdleTimeout > .zero, pageSessionLifetime >= pageIdleTimeout else {
            throw Failure(
                description: "admin.page_idle_timeout must be positive and at most admin.page_session_lifetime"
            )
        }
        guard expiredHintMaxAge >= .zero, expiredHintMaxAge <= .seconds(30 * 24 * 3600) else {
            throw Failure(description: "tokens.expired_hint_max_age must be between 0s and 720h")
        }
        guard unknownKidCooldown > .zero, unknownKidCooldown <= .seconds(30) else {
            throw Failure(
                description: "tokens.unknown_kid_cooldown must be more than 0 and at most 30s: an IdP that rotated "
                    + "its key is told to retry after it"
            )
        }
        if case .tcp(let host, _) = adminListen, !ListenAddress.isLoopback(host) {
            throw Failure(
                description:
                    "admin.listen must be a loopback address or a unix: socket path; the admin API has no TLS (SEC-3)"
            )
        }
    }

    static func absolute(_ path: String, base: String) -> String {
        path.hasPrefix("/")
            ? path
            : URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: base, isDirectory: true))
                .standardizedFileURL.path
    }
}
