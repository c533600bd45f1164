import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// The two kinds of work of the one queue engine, each with its worker and its settings, and
/// the intake that feeds them.
extension Components {
    /// RP-initiated logout (BR-1 … BR-9): its callback is under our issuer URL.
    static func endSessionService(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        directory: IssuerDirectory,
        keyCache: IssuerKeyCache,
        wakers: QueueWakers,
        metrics: LogoutMetrics,
        limiter: RejectionLimiter,
        secrets: SecretBox,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> EndSessionService {
        EndSessionService(
            store: database,
            registry: database,
            returns: database,
            callbackURL: (config.issuer.hasSuffix("/") ? String(config.issuer.dropLast()) : config.issuer)
                + "/end-session/callback",
            ourIssuer: config.issuer,
            directory: directory,
            signatures: SignatureChecker(keyCache: keyCache),
            wakers: wakers,
            metrics: metrics,
            maximumExpiredAge: config.expiredHintMaxAge,
            limiter: limiter,
            secrets: secrets,
            secureCookies: config.issuer.lowercased().hasPrefix("https://"),
            allowPrivateNetworks: config.allowPrivateNetworks,
            tracing: LogoutTracing(enabled: config.tracing.enabled),
            now: now,
            logger: logger
        )
    }

    /// Logout tokens and SETs, pushed or polled, validated and recorded alike.
    static func intakeService(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        directory: IssuerDirectory,
        keyCache: IssuerKeyCache,
        limiter: RejectionLimiter,
        wakers: QueueWakers,
        metrics: LogoutMetrics,
        outcomes: OutcomeLog,
        secrets: SecretBox,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> LogoutIntakeService {
        LogoutIntakeService(
            store: database,
            upstreams: database,
            registry: database,
            directory: directory,
            signatures: SignatureChecker(keyCache: keyCache),
            limiter: limiter,
            wakers: wakers,
            metrics: metrics,
            outcomes: outcomes,
            ourIssuer: config.issuer,
            secrets: secrets,
            tracing: LogoutTracing(enabled: config.tracing.enabled),
            now: now,
            logger: logger
        )
    }

    /// Deliveries to RPs: the configured caps, the breaker, and the watchdog's heartbeat.
    static func deliveryEngine(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        keys: SigningKeyring,
        secrets: SecretBox,
        clients: GuardedHTTPClients,
        wakers: QueueWakers,
        heartbeat: Heartbeat,
        metrics: LogoutMetrics,
        outcomes: OutcomeLog,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> QueueDispatcher<DeliveryJobs> {
        DeliveryWorker.engine(
            DeliveryWorker(
                sender: DeliverySender(clients: clients),
                minter: LogoutTokenMinter(keys: keys),
                secrets: secrets,
                issuer: config.issuer,
                attemptTimeout: config.deliveryTimeout,
                metrics: metrics,
                outcomes: outcomes,
                tracing: LogoutTracing(enabled: config.tracing.enabled),
                wallClock: now,
                logger: logger
            ),
            queue: database,
            settings: QueueSettings(
                concurrency: config.concurrency,
                perRPConcurrency: config.perRPConcurrency,
                retryPolicy: config.retryPolicy,
                attemptTimeout: config.deliveryTimeout,
                shutdownTimeout: config.shutdownTimeout,
                breaker: config.breakerPolicy,
                lease: config.effectiveDeliveryLease
            ),
            waker: wakers.deliveries,
            heartbeat: heartbeat
        )
    }

    /// Revocations are few (one or two per ended session holding upstream tokens): a
    /// smaller pool. Queued work wakes it (this process's intake, other replicas' NOTIFY),
    /// as it wakes deliveries; the idle look at the queue is the same.
    static func revocationEngine(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        secrets: SecretBox,
        clients: GuardedHTTPClients,
        wakers: QueueWakers,
        metrics: LogoutMetrics,
        outcomes: OutcomeLog,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> QueueDispatcher<RevocationJobs> {
        RevocationWorker.engine(
            RevocationWorker(
                sender: DeliverySender(clients: clients),
                secrets: secrets,
                attemptTimeout: config.deliveryTimeout,
                metrics: metrics,
                outcomes: outcomes,
                tracing: LogoutTracing(enabled: config.tracing.enabled),
                wallClock: now,
                logger: logger
            ),
            queue: database,
            settings: QueueSettings(
                concurrency: 8,
                perRPConcurrency: min(config.perRPConcurrency, 4),
                retryPolicy: config.retryPolicy,
                attemptTimeout: config.deliveryTimeout,
                shutdownTimeout: config.shutdownTimeout
            ),
            waker: wakers.revocations
        )
    }
}
