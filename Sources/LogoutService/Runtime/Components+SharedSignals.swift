import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// The SSF parts: as a transmitter, stream management and polls on the public listener, the fan-out
/// of accepted logouts into SETs and the queue engine pushing them; as a receiver, our own
/// streams at issuers' transmitters.
struct SharedSignalsServices: Sendable {
    let streams: StreamService
    let fanOut: SecurityEventFanOutService
    let pushes: QueueDispatcher<SecurityEventJobs>
    /// Our own streams at registered issuers' transmitters (the receiver role).
    let upstreams: UpstreamStreamService
}

extension Components {
    static func sharedSignalsServices(
        _ config: LogoutdConfiguration,
        database: any LogoutStore,
        secrets: SecretBox,
        keys: SigningKeyring,
        clients: GuardedHTTPClients,
        wakers: QueueWakers,
        directory: IssuerDirectory,
        keyCache: IssuerKeyCache,
        limiter: RejectionLimiter,
        metrics: LogoutMetrics,
        outcomes: OutcomeLog,
        intake: LogoutIntakeService,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) -> SharedSignalsServices {
        let signer = SecurityEventSigner(keys: keys)
        return SharedSignalsServices(
            streams: StreamService(
                store: database,
                secrets: secrets,
                signer: signer,
                longPoll: .seconds(10),
                issuer: config.issuer,
                publicBaseURL: config.issuer,
                allowInsecureEndpoints: config.allowPrivateNetworks,
                pushes: wakers.securityEventPushes,
                accessTokens: AccessTokenAuthenticator(
                    directory: directory,
                    signatures: SignatureChecker(keyCache: keyCache),
                    audience: config.issuer,
                    now: now,
                    logger: logger
                ),
                limiter: limiter,
                now: now,
                logger: logger
            ),
            fanOut: SecurityEventFanOutService(
                store: database,
                waker: wakers.securityEvents,
                pushes: wakers.securityEventPushes,
                issuer: config.issuer,
                idle: .seconds(5),
                now: now,
                logger: logger
            ),
            // Pushes go to a few receivers' endpoints: a small pool, with the deliveries' retry
            // policy, breaker, timeout and stop; a stream's SETs share its per-target cap and
            // its breaker.
            pushes: SecurityEventPushWorker.engine(
                SecurityEventPushWorker(
                    sender: DeliverySender(clients: clients),
                    signer: signer,
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
                    shutdownTimeout: config.shutdownTimeout,
                    breaker: config.breakerPolicy
                ),
                waker: wakers.securityEventPushes
            ),
            upstreams: UpstreamStreamService(
                store: database,
                client: TransmitterClient(clients: clients),
                secrets: secrets,
                intake: intake,
                publicBaseURL: config.issuer,
                allowHTTP: config.allowPrivateNetworks,
                owner: StoreBackend.replicaName(config),
                waker: wakers.upstreamStreams,
                timing: .init(),
                now: now,
                logger: logger
            )
        )
    }
}
