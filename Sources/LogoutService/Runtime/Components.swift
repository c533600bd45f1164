import CoreMetrics
import Foundation
import Hummingbird
import Logging
import LogoutCore
import LogoutDelivery
import LogoutHTTP
import LogoutJWT
import LogoutPostgres
import LogoutStorage
import Prometheus
import ServiceLifecycle
import Synchronization

/// Everything the daemon is made of, wired once: the daemon runs it, tests drive it.
struct Components: Sendable {
    let configuration: LogoutdConfiguration
    let backend: StoreBackend
    var database: any LogoutStore { backend.store }
    let keys: SigningKeyring
    let secrets: SecretBox
    let adminToken: String
    let clients: GuardedHTTPClients
    let jwksClients: GuardedHTTPClients
    let keyCache: IssuerKeyCache
    let directory: IssuerDirectory
    let wakers: QueueWakers
    /// The dispatcher's healthy passes, for the systemd watchdog.
    let heartbeat: Heartbeat
    let metricsRegistry: PrometheusCollectorRegistry
    let metrics: LogoutMetrics
    /// What the journal hears of outcomes: bounded digests (ADM-4).
    let outcomeLogs: OutcomeLogs
    let intake: LogoutIntakeService
    let endSession: EndSessionService
    let admin: AdminService
    /// The SSF transmitter (contract C7): stream management, the SETs of accepted logouts and
    /// their pushes.
    let sharedSignals: SharedSignalsServices
    /// The queue engine running deliveries, and the one running token revocations.
    let dispatcher: QueueDispatcher<DeliveryJobs>
    let revocations: QueueDispatcher<RevocationJobs>
    let maintenance: MaintenanceService
    let rejectionLog: RejectionLogService
    let metricsCollector: MetricsCollector
    let backup: DatabaseBackup
    let pageSessions: PageSessions
    /// The rejection budgets every anonymous route charges (SEC-4).
    let limiter: RejectionLimiter
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Migrations, secrets, keys, admin token; then the services. Leases left by a previous
    /// process are released here, before anything can claim. The store must be running (its
    /// service started: PostgreSQL's pool); nothing here starts anything.
    static func assemble(
        configuration config: LogoutdConfiguration,
        backend: StoreBackend,
        logger: Logger,
        now: @escaping @Sendable () -> Timestamp = { Timestamp(Date()) }
    ) async throws -> Components {
        try await backend.prepare()
        let database = backend.store
        var ready: Logger.Metadata = ["store": "\(backend.location)", "schema": "\(backend.schemaVersion)"]
        if let older = backend.upgradedFrom { ready["upgraded_from"] = "\(older)" }
        logger.notice("database ready", metadata: ready)
        try FileManager.default.createDirectory(
            atPath: config.keysDirectory,
            withIntermediateDirectories: true,
            attributes: [.posixPermissions: 0o700]
        )
        let secrets = try SecretBox.open(path: config.effectiveSecretsKeyFile)
        if let resealed = try await database.bindSealedSecretsIfNeeded({ field, sealed in
            try secrets.seal(try secrets.openUnbound(sealed), for: field)
        }), resealed > 0 {
            logger.notice("stored secrets re-sealed, bound to their rows", metadata: ["count": "\(resealed)"])
        }
        let backup = DatabaseBackup(store: database, databasePath: config.databasePath, now: now, logger: logger)
        backup.removeLeftovers()
        let keys: SigningKeyring
        if let shared = backend.shared {
            // One replica at a time: the first on an empty database creates the keys, the others
            // fetch them, so every replica publishes and signs with the same ones.
            let opened = Mutex<SigningKeyring?>(nil)
            try await shared.withKeyLock {
                try await KeySync.fetch(store: shared, secrets: secrets, directory: config.keysDirectory)
                let ring = try await openKeyring(config, database: database, now: now(), logger: logger)
                try await KeySync.share(
                    store: shared,
                    secrets: secrets,
                    files: try SigningKeyStore.open(directory: config.keysDirectory, now: now())
                )
                opened.withLock { $0 = ring }
            }
            guard let ring = opened.withLock({ $0 }) else { throw StoreBackend.Failure(description: "no signing keys") }
            keys = ring
        } else {
            keys = try await openKeyring(config, database: database, now: now(), logger: logger)
        }
        let adminToken = try AdminToken.loadOrCreate(path: config.adminTokenFile)
        let released = try await database.releaseAllLeases(now: now())
        if released > 0 {
            logger.notice(
                "deliveries in flight at the last stop are due again",
                metadata: ["count": "\(released)", "replica": "\(StoreBackend.replicaName(config))"]
            )
        }
        for names in try await database.issuersSharingAnIss() {
            logger.warning(
                "issuers share one iss: tokens on /backchannel-logout cannot tell them apart; remove all but one",
                metadata: ["issuers": "\(names.joined(separator: ", "))"]
            )
        }
        if config.allowPrivateNetworks {
            logger.warning(
                "delivery.allow_private_networks is on: deliveries and key fetches may reach loopback and private addresses (development only)"
            )
        }

        let registry = PrometheusCollectorRegistry()
        let metrics = LogoutMetrics(factory: PrometheusMetricsFactory(registry: registry))
        let clients = GuardedHTTPClients(
            configuration: .init(
                allowPrivateNetworks: config.allowPrivateNetworks,
                connectTimeout: config.deliveryConnectTimeout,
                connectionsPerHost: config.perRPConcurrency
            )
        )
        let jwksClients = GuardedHTTPClients(
            configuration: .init(
                allowPrivateNetworks: config.allowPrivateNetworks,
                connectTimeout: .seconds(2),
                connectionsPerHost: 2
            )
        )
        let directory = IssuerDirectory(
            secrets: secrets,
            maximumTokenAge: config.tokenMaxAge,
            clockSkew: config.clockSkew
        )
        let keyCache = IssuerKeyCache(
            fetcher: TracedKeyFetcher(
                fetcher: JWKSFetcher(clients: jwksClients),
                tracing: LogoutTracing(enabled: config.tracing.enabled)
            ),
            policy: .init(unknownKeyCooldown: config.unknownKidCooldown),
            onRefresh: { uri, result in
                for name in directory.names(usingJWKSURI: uri) {
                    metrics.jwksRefresh(issuer: name, succeeded: result == .succeeded)
                }
                if case .failed(let reason) = result {
                    logger.warning(
                        "issuer keys refresh failed",
                        metadata: ["jwks_uri": "\(uri)", "error": "\(reason)"]
                    )
                }
            }
        )
        try await directory.reload(from: database)
        let wakers = QueueWakers()
        let heartbeat = Heartbeat()
        let limiter = RejectionLimiter(
            limits: .init(perClient: config.rejectionsPerClient, perIssuer: config.rejectionsPerIssuer)
        )
        let outcomeLogs = OutcomeLogs(now: now, logger: logger)
        let intake = intakeService(
            config,
            database: database,
            directory: directory,
            keyCache: keyCache,
            limiter: limiter,
            wakers: wakers,
            metrics: metrics,
            outcomes: outcomeLogs.logouts,
            secrets: secrets,
            now: now,
            logger: logger
        )
        let sharedSignals = sharedSignalsServices(
            config,
            database: database,
            secrets: secrets,
            keys: keys,
            clients: clients,
            wakers: wakers,
            directory: directory,
            keyCache: keyCache,
            limiter: limiter,
            metrics: metrics,
            outcomes: outcomeLogs.securityEvents,
            intake: intake,
            now: now,
            logger: logger
        )
        return Components(
            configuration: config,
            backend: backend,
            keys: keys,
            secrets: secrets,
            adminToken: adminToken,
            clients: clients,
            jwksClients: jwksClients,
            keyCache: keyCache,
            directory: directory,
            wakers: wakers,
            heartbeat: heartbeat,
            metricsRegistry: registry,
            metrics: metrics,
            outcomeLogs: outcomeLogs,
            intake: intake,
            endSession: endSessionService(
                config,
                database: database,
                directory: directory,
                keyCache: keyCache,
                wakers: wakers,
                metrics: metrics,
                limiter: limiter,
                secrets: secrets,
                now: now,
                logger: logger
            ),
            admin: AdminService(
                context: AdminContext(
                    store: database,
                    directory: directory,
                    keyCache: keyCache,
                    secrets: secrets,
                    keys: keys,
                    wakers: wakers,
                    allowPrivateNetworks: config.allowPrivateNetworks,
                    upstreams: sharedSignals.upstreams,
                    ourIssuer: config.issuer,
                    tracing: LogoutTracing(enabled: config.tracing.enabled),
                    now: now,
                    logger: logger
                )
            ),
            sharedSignals: sharedSignals,
            dispatcher: deliveryEngine(
                config,
                database: database,
                keys: keys,
                secrets: secrets,
                clients: clients,
                wakers: wakers,
                heartbeat: heartbeat,
                metrics: metrics,
                outcomes: outcomeLogs.deliveries,
                now: now,
                logger: logger
            ),
            revocations: revocationEngine(
                config,
                database: database,
                secrets: secrets,
                clients: clients,
                wakers: wakers,
                metrics: metrics,
                outcomes: outcomeLogs.revocations,
                now: now,
                logger: logger
            ),
            maintenance: MaintenanceService(
                store: database,
                retention: config.databaseRetention,
                rejectedRetention: config.rejectedRetention,
                securityEventRetention: config.ssfRetention,
                interval: .seconds(600),
                now: now,
                logger: logger
            ),
            rejectionLog: RejectionLogService(store: database, metrics: metrics, logger: logger),
            metricsCollector: MetricsCollector(store: database, metrics: metrics, now: now, logger: logger),
            backup: backup,
            pageSessions: PageSessions(
                lifetime: config.pageSessionLifetime,
                idleTimeout: config.pageIdleTimeout,
                newIdentifier: { Digests.randomIdentifier(bytes: 32) }
            ),
            limiter: limiter,
            now: now,
            logger: logger
        )
    }

    /// The services that own what these components hold open, to run at the front of a group
    /// (so that they stop after everything that uses them): each closes its resource at the end
    /// of its run. The key cache fetches through `jwksClients`, so it comes after them.
    /// The outcome log's summaries go first: they are written once more after everything else
    /// stopped.
    var owners: [any Service] {
        [
            OutcomeLogService(logs: outcomeLogs.all),
            ResourceOwner("delivery HTTP clients") { [clients] in await clients.shutdown() },
            ResourceOwner("key fetch HTTP clients") { [jwksClients] in await jwksClients.shutdown() },
            ResourceOwner("issuer key cache") { [keyCache] in await keyCache.shutdown() },
        ]
    }
}
