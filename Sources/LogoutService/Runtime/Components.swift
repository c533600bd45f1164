import Foundation
import Hummingbird
import Logging
import LogoutCore
import LogoutDelivery
import LogoutHTTP
import LogoutJWT
import LogoutStorage

#if canImport(Glibc)
    import Glibc
#endif

/// Everything the daemon is made of, wired once: the daemon runs it, tests drive it.
struct Components: Sendable {
    let configuration: LogoutdConfiguration
    let lock: ProcessLock
    let database: LogoutDatabase
    let keys: SigningKeyStore
    let secrets: SecretBox
    let adminToken: String
    let clients: GuardedHTTPClients
    let jwksClients: GuardedHTTPClients
    let keyCache: IssuerKeyCache
    let directory: IssuerDirectory
    let waker: Waker
    let intake: LogoutIntakeService
    let admin: AdminService
    let dispatcher: DeliveryDispatcher
    let maintenance: MaintenanceService

    /// Lock, database (migrations), keys, admin token; then the services. Leases left by a
    /// previous process are released here, before anything can claim.
    static func assemble(
        configuration config: LogoutdConfiguration,
        logger: Logger,
        now: @escaping @Sendable () -> Date = { Date() }
    ) async throws -> Components {
        // Everything we create (database, WAL, keys, token) is for this service's user only.
        umask(0o077)
        let lock = try ProcessLock(path: config.databasePath + ".lock")
        let database = try LogoutDatabase(path: config.databasePath, busyTimeout: config.databaseBusyTimeout)
        let keys = try SigningKeyStore.open(directory: config.keysDirectory)
        let secrets = try SecretBox.open(directory: config.keysDirectory)
        let adminToken = try AdminToken.loadOrCreate(path: config.adminTokenFile)
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
        return Components(
            configuration: config,
            lock: lock,
            database: database,
            keys: keys,
            secrets: secrets,
            adminToken: adminToken,
            clients: clients,
            jwksClients: jwksClients,
            keyCache: keyCache,
            directory: directory,
            waker: waker,
            intake: LogoutIntakeService(
                database: database,
                directory: directory,
                keyCache: keyCache,
                waker: waker,
                now: now,
                logger: logger
            ),
            admin: AdminService(
                database: database,
                directory: directory,
                keyCache: keyCache,
                secrets: secrets,
                keys: keys,
                waker: waker,
                allowPrivateNetworks: config.allowPrivateNetworks,
                now: now,
                logger: logger
            ),
            dispatcher: DeliveryDispatcher(
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
            ),
            maintenance: MaintenanceService(
                database: database,
                retention: config.databaseRetention,
                interval: 600,
                now: now,
                logger: logger
            )
        )
    }

    func publicRouter(listenersReady: @escaping @Sendable () -> Bool = { true }) -> Router<LogoutRequestContext> {
        let discovery = Discovery.document(issuer: configuration.issuer)
        let jwks: JSONValue = ["keys": .array(keys.publicJWKS.map { jwk in .object(jwk.mapValues(JSONValue.string)) })]
        let database = self.database
        return PublicRoutes.router(
            PublicEndpoints(
                intake: intake,
                discovery: { discovery },
                jwks: { jwks },
                readiness: {
                    guard listenersReady() else { return false }
                    return await database.isReadable()
                }
            )
        )
    }

    func adminRouter() -> Router<LogoutRequestContext> {
        let token = adminToken
        return AdminRoutes.router(
            AdminEndpoints(operations: admin, authenticate: { Digests.constantTimeEquals($0, token) })
        )
    }

    func shutdown() async {
        await clients.shutdown()
        await jwksClients.shutdown()
        try? database.close()
    }
}
