import Hummingbird
import LogoutCore
import LogoutHTTP
import LogoutJWT
import LogoutStorage
import Prometheus

/// The two listeners' routes, wired to the assembled parts.
extension Components {
    func publicRouter(listenersReady: @escaping @Sendable () -> Bool = { true }) -> Router<LogoutRequestContext> {
        let discovery = Discovery.document(issuer: configuration.issuer)
        let (keys, now) = (self.keys, self.now)
        let database = self.database
        var endpoints =
            PublicEndpoints(
                intake: intake,
                discovery: { discovery },
                // From the clock each time: a rotated key appears, and a retired one goes, on time.
                jwks: {
                    ["keys": .array(keys.publishedJWKS(now: now()).map { .object($0.mapValues(JSONValue.string)) })]
                },
                readiness: {
                    guard listenersReady() else { return false }
                    return await database.isReadable()
                },
                streams: sharedSignals.streams,
                securityEvents: intake,
                frontChannel: intake
            )
        endpoints.traced = configuration.tracing.enabled
        let router = PublicRoutes.router(endpoints)
        endSessionPages.register(on: router)
        return router
    }

    func adminRouter() -> Router<LogoutRequestContext> {
        let token = adminToken
        let registry = metricsRegistry
        let backup = self.backup
        let authenticate: @Sendable (String) -> Bool = { Digests.constantTimeEquals($0, token) }
        let router = AdminRoutes.router(
            AdminEndpoints(
                operations: admin,
                authenticate: authenticate,
                metrics: { registry.emitToString() },
                backup: { try await backup.snapshot() }
            )
        )
        pages.register(on: router)
        return router
    }
}
