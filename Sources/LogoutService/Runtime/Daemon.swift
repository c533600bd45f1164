import AsyncHTTPClient
import Foundation
import Hummingbird
import Logging
import LogoutCore
import LogoutDelivery
import LogoutHTTP
import LogoutJWT
import LogoutStorage
import NIOCore
import ServiceLifecycle
import Synchronization
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// The composition root: the only place that knows every module.
///
/// Start order is the dependency order: lock, database (migrations), keys, then the services
/// in one `ServiceGroup` — dispatcher and maintenance first, listeners last — so shutdown runs in
/// reverse: listeners stop taking requests before the dispatcher drains.
public enum Daemon {
    public struct StartupFailure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func run(configuration config: LogoutdConfiguration, logger: Logger) async throws {
        let now: @Sendable () -> Date = { Date() }
        // Everything we create (database, WAL, keys, token) is for this service's user only.
        umask(0o077)
        let lock: ProcessLock
        let database: LogoutDatabase
        let keys: SigningKeyStore
        let secrets: SecretBox
        let adminToken: String
        do {
            lock = try ProcessLock(path: config.databasePath + ".lock")
            database = try LogoutDatabase(path: config.databasePath, busyTimeout: config.databaseBusyTimeout)
            keys = try SigningKeyStore.open(directory: config.keysDirectory)
            secrets = try SecretBox.open(directory: config.keysDirectory)
            adminToken = try AdminToken.loadOrCreate(path: config.adminTokenFile)
        } catch {
            throw StartupFailure(description: "\(error)")
        }
        _ = lock
        try await database.recordSigningKeys(
            keys.keys.map { ($0.key.keyID, $0.key.algorithm.rawValue, $0.fileName, $0.createdAt) },
            now: now()
        )
        let released = try await database.releaseAllLeases(now: now())
        if released > 0 {
            logger.notice("deliveries in flight at the last stop are due again", metadata: ["count": "\(released)"])
        }

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
                connectTimeout: 2,
                connectionsPerHost: 2
            )
        )
        let keyCache = IssuerKeyCache(fetcher: JWKSFetcher(clients: jwksClients))
        let directory = IssuerDirectory(
            secrets: secrets,
            maximumTokenAge: config.tokenMaxAge,
            clockSkew: config.clockSkew
        )
        try await directory.reload(from: database)
        let waker = Waker()

        let intake = LogoutIntakeService(
            database: database,
            directory: directory,
            keyCache: keyCache,
            waker: waker,
            now: now,
            logger: logger
        )
        let admin = AdminService(
            database: database,
            directory: directory,
            keyCache: keyCache,
            secrets: secrets,
            keys: keys,
            waker: waker,
            allowPrivateNetworks: config.allowPrivateNetworks,
            now: now,
            logger: logger
        )
        let dispatcher = DeliveryDispatcher(
            database: database,
            sender: DeliverySender(clients: clients),
            minter: LogoutTokenMinter(keys: keys),
            secrets: secrets,
            settings: .init(
                issuer: config.issuer,
                timeout: config.deliveryTimeout,
                concurrency: config.concurrency,
                perRPConcurrency: config.perRPConcurrency,
                retryPolicy: config.retryPolicy,
                shutdownTimeout: config.shutdownTimeout
            ),
            waker: waker,
            now: now,
            logger: logger
        )
        let maintenance = MaintenanceService(
            database: database,
            retention: config.databaseRetention,
            interval: 600,
            now: now,
            logger: logger
        )

        let listening = Atomic<Int>(0)
        let discovery = Discovery.document(issuer: config.issuer)
        let jwks: JSONValue = ["keys": .array(keys.publicJWKS.map { jwk in .object(jwk.mapValues(JSONValue.string)) })]
        let publicApp = Application(
            router: PublicRoutes.router(
                PublicEndpoints(
                    intake: intake,
                    discovery: { discovery },
                    jwks: { jwks },
                    readiness: {
                        guard listening.load(ordering: .relaxed) == 2 else { return false }
                        return await database.isReadable()
                    }
                )
            ),
            configuration: .init(address: bindAddress(config.publicListen), serverName: nil),
            onServerRunning: { channel in
                listening.add(1, ordering: .relaxed)
                logger.notice(
                    "public listener ready",
                    metadata: ["address": "\(channel.localAddress?.description ?? "?")"]
                )
            },
            logger: logger
        )
        let adminApp = Application(
            router: AdminRoutes.router(
                AdminEndpoints(operations: admin, authenticate: { Digests.constantTimeEquals($0, adminToken) })
            ),
            configuration: .init(address: bindAddress(config.adminListen), serverName: nil),
            onServerRunning: { channel in
                listening.add(1, ordering: .relaxed)
                logger.notice(
                    "admin listener ready",
                    metadata: ["address": "\(channel.localAddress?.description ?? "?")"]
                )
            },
            logger: logger
        )
        if case .unix(let path) = config.adminListen {
            try? FileManager.default.removeItem(atPath: path)
        }

        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: dispatcher),
                    .init(service: maintenance),
                    .init(service: adminApp),
                    .init(service: publicApp),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                cancellationSignals: [],
                logger: logger
            )
        )
        logger.notice(
            "logoutd starting",
            metadata: [
                "issuer": "\(config.issuer)", "database": "\(config.databasePath)", "keys": "\(keys.keys.count)",
            ]
        )
        do {
            try await group.run()
        } catch {
            logger.error("service group failed", metadata: ["error": "\(error)"])
            await clients.shutdown()
            await jwksClients.shutdown()
            try? database.close()
            throw error
        }
        await clients.shutdown()
        await jwksClients.shutdown()
        try? database.close()
        logger.notice("logoutd stopped")
    }

    static func bindAddress(_ address: ListenAddress) -> BindAddress {
        switch address {
        case .tcp(let host, let port): return .hostname(host, port: port)
        case .unix(let path): return .unixDomainSocket(path: path)
        }
    }
}

/// Our OpenID Provider metadata: what RPs need to verify our logout tokens (C3).
enum Discovery {
    static func document(issuer: String) -> JSONValue {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        return [
            "issuer": .string(issuer),
            "jwks_uri": .string(base + "/.well-known/jwks.json"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            "id_token_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
        ]
    }
}
