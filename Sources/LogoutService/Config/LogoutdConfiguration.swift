import Foundation
import LogoutCore

/// The daemon's settings (contract C2): YAML file, overridden by `LOGOUTD_*` environment variables.
/// Every key is listed in `ConfigSchema` and documented in docs/configuration.md.
public struct LogoutdConfiguration: Sendable, Equatable {
    public var issuer = "http://127.0.0.1:8080"
    public var publicListen = ListenAddress.tcp(host: "127.0.0.1", port: 8080)
    public var publicLimits = ListenerLimits.publicDefaults
    public var adminListen = ListenAddress.tcp(host: "127.0.0.1", port: 8081)
    public var adminLimits = ListenerLimits.adminDefaults
    public var adminTokenFile = "data/admin-token"
    public var databasePath = "data/logoutd.sqlite3"
    /// `database.url`: the shared PostgreSQL store of several replicas instead of the SQLite file.
    public var databaseURL: DatabaseURL?
    /// The credential file `database-password` under systemd; `LOGOUTD_DATABASE_PASSWORD` wins.
    public var databasePasswordFile: String?
    /// Connections this replica keeps to PostgreSQL at most.
    public var databaseMaxConnections = 16
    /// How long a write waits for a lock held by another process before answering 503.
    public var databaseBusyTimeout: Duration = .seconds(2)
    /// How long events, deliveries and ended sessions stay in the log.
    public var databaseRetention: Duration = .seconds(30 * 86_400)
    /// How long rejected, deferred and duplicate events stay: anyone can cause those (SEC-4).
    public var rejectedRetention: Duration = .seconds(7 * 86_400)
    /// How long a SET is kept for its stream, delivered or not (SSF-4): a receiver that stopped
    /// polling does not make the store grow without end.
    public var ssfRetention: Duration = .seconds(7 * 86_400)
    public var keysDirectory = "data/keys"
    /// The key that seals secrets in the database; `nil` for `keys.dir/secrets.key`. Set by
    /// `keys.secrets_file`, or `$CREDENTIALS_DIRECTORY/secrets.key` under systemd's `LoadCredential=`.
    public var secretsKeyFile: String?
    public var effectiveSecretsKeyFile: String { secretsKeyFile ?? keysDirectory + "/secrets.key" }
    /// systemd's `$CREDENTIALS_DIRECTORY`: signing keys handed over with `LoadCredential=` are
    /// read from it as well as from `keys.dir`.
    public var credentialsDirectory: String?
    /// How long a rotated key is published before it signs, and a replaced key after (OUT-4):
    /// longer than RPs cache our JWKS (mod_auth_openidc: an hour by default).
    public var rotationOverlap: Duration = .seconds(86_400)
    public var deliveryTimeout: Duration = .seconds(10)
    /// How long a claimed delivery is ours (`delivery.lease`); nil for twice the timeout plus
    /// 30 s. Another replica takes it over after that: a replica stalled longer starts nothing
    /// it claimed.
    public var deliveryLease: Duration?
    public var effectiveDeliveryLease: Duration { deliveryLease ?? deliveryTimeout * 2 + .seconds(30) }
    public var deliveryConnectTimeout: Duration = .seconds(5)
    public var maxAttempts = 10
    public var backoffInitial: Duration = .seconds(5)
    public var backoffMax: Duration = .seconds(3600)
    public var backoffMultiplier: Double = 4
    public var window: Duration = .seconds(86_400)
    public var concurrency = 64
    public var perRPConcurrency = 8
    public var allowPrivateNetworks = false
    /// consecutive retryable failures that open an RP's breaker, and its probes' pauses.
    public var breakerThreshold = 5
    public var breakerPause: Duration = .seconds(30)
    public var breakerMaxPause: Duration = .seconds(600)
    /// Maximum age of an inbound token's `iat` (IN-10).
    public var tokenMaxAge: Duration = .seconds(600)
    public var clockSkew: Duration = .seconds(60)
    /// After a refresh of an issuer's keys, how long an unknown `kid` is answered `503` instead
    /// of refreshing again (at most 30 s).
    public var unknownKidCooldown: Duration = .seconds(10)
    /// How long after its `exp` an `id_token_hint` still ends sessions at `/end-session` (BR-2):
    /// people log out long after their ID token expired, but not with one found in an old log.
    public var expiredHintMaxAge: Duration = .seconds(24 * 3600)
    /// A signed-in browser of the delivery log page: signed out this long after its login
    /// whatever it does, and after this long without a request.
    public var pageSessionLifetime: Duration = .seconds(8 * 3600)
    public var pageIdleTimeout: Duration = .seconds(30 * 60)
    /// Rejected requests one client address may cause per minute before `429` (SEC-4).
    public var rejectionsPerClient = 120
    /// Rejected requests attributed to one issuer (or to no known issuer) per minute.
    public var rejectionsPerIssuer = 600
    /// Graceful stop: how long attempts in flight may take to finish.
    public var shutdownTimeout: Duration = .seconds(15)
    public var logLevel = "info"
    /// `tracing:` and the `OTEL_*` variables: off unless an OTLP endpoint is named.
    public var tracing = TracingSettings()

    public init() {}

    public struct Failure: Error, CustomStringConvertible, Equatable {
        public let description: String
    }

    public var breakerPolicy: CircuitBreaker.Policy {
        CircuitBreaker.Policy(threshold: breakerThreshold, initialPause: breakerPause, maximumPause: breakerMaxPause)
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
    /// and the keys live in their own files and are never printed).
    public var summary: [(String, String)] {
        [
            ("issuer", issuer),
            ("public.listen", publicListen.description),
        ] + publicLimits.summary(prefix: "public")
            + [
                ("admin.listen", adminListen.description),
                ("admin.token_file", adminTokenFile),
                ("admin.page_session_lifetime", formatDuration(pageSessionLifetime)),
                ("admin.page_idle_timeout", formatDuration(pageIdleTimeout)),
            ] + adminLimits.summary(prefix: "admin")
            + [
                ("database.path", databaseURL == nil ? databasePath : "(not used: database.url is set)"),
                ("database.url", databaseURL?.description ?? "(not set: the SQLite file at database.path)"),
                ("database.max_connections", String(databaseMaxConnections)),
                ("database.busy_timeout", formatDuration(databaseBusyTimeout)),
                ("database.retention", formatDuration(databaseRetention)),
                ("database.rejected_retention", formatDuration(rejectedRetention)),
                ("keys.dir", keysDirectory),
                ("keys.secrets_file", effectiveSecretsKeyFile),
                ("keys.rotation_overlap", formatDuration(rotationOverlap)),
                ("delivery.timeout", formatDuration(deliveryTimeout)),
                ("delivery.connect_timeout", formatDuration(deliveryConnectTimeout)),
                ("delivery.lease", formatDuration(effectiveDeliveryLease)),
                ("delivery.max_attempts", String(maxAttempts)),
                ("delivery.backoff_initial", formatDuration(backoffInitial)),
                ("delivery.backoff_max", formatDuration(backoffMax)),
                ("delivery.backoff_multiplier", String(backoffMultiplier)),
                ("delivery.window", formatDuration(window)),
                ("delivery.concurrency", String(concurrency)),
                ("delivery.per_rp_concurrency", String(perRPConcurrency)),
                ("delivery.allow_private_networks", String(allowPrivateNetworks)),
                ("delivery.breaker_threshold", String(breakerThreshold)),
                ("delivery.breaker_pause", formatDuration(breakerPause)),
                ("delivery.breaker_max_pause", formatDuration(breakerMaxPause)),
                ("tokens.max_age", formatDuration(tokenMaxAge)),
                ("tokens.clock_skew", formatDuration(clockSkew)),
                ("tokens.unknown_kid_cooldown", formatDuration(unknownKidCooldown)),
                ("tokens.expired_hint_max_age", formatDuration(expiredHintMaxAge)),
                ("limits.rejections_per_minute", String(rejectionsPerClient)),
                ("limits.issuer_rejections_per_minute", String(rejectionsPerIssuer)),
                ("ssf.retention", formatDuration(ssfRetention)),
                ("shutdown_timeout", formatDuration(shutdownTimeout)),
                ("log.level", logLevel),
            ] + tracing.summary
    }
}

extension ListenerLimits {
    func summary(prefix: String) -> [(String, String)] {
        [
            ("\(prefix).max_connections", String(maxConnections)),
            ("\(prefix).header_timeout", formatDuration(headerTimeout)),
            ("\(prefix).body_timeout", formatDuration(bodyTimeout)),
            ("\(prefix).idle_timeout", formatDuration(idleTimeout)),
            ("\(prefix).max_header_bytes", String(maxHeaderBytes)),
        ]
    }
}
