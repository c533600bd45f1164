import Foundation
import Hummingbird
import Logging
import LogoutAdminAPI
import LogoutCore
import NIOCore

/// What the admin listener serves.
public struct AdminEndpoints: Sendable {
    public var operations: any AdminOperations
    /// Checks a presented bearer token; must compare in constant time (SEC-3).
    public var authenticate: @Sendable (String) -> Bool
    /// Prometheus text for `/metrics`.
    public var metrics: (@Sendable () async -> String)?
    /// An online copy of the store for `GET /admin/v1/backup`.
    public var backup: (@Sendable () async throws -> DatabaseSnapshot)?

    public init(
        operations: any AdminOperations,
        authenticate: @escaping @Sendable (String) -> Bool,
        metrics: (@Sendable () async -> String)? = nil,
        backup: (@Sendable () async throws -> DatabaseSnapshot)? = nil
    ) {
        self.operations = operations
        self.authenticate = authenticate
        self.metrics = metrics
        self.backup = backup
    }
}

/// The admin API (contract C4): each route reads its request, calls `AdminOperations`, and
/// encodes the answer; refusals are thrown `AdminError`s, answered by `RefusalAnswers`.
public enum AdminRoutes {
    /// The pages (`AdminPages`) register on the same router and check their own access (a
    /// session cookie or the token) in their handlers.
    public static func router(_ endpoints: AdminEndpoints) -> Router<LogoutRequestContext> {
        let router = Router(context: LogoutRequestContext.self)
        let bearer = BearerAuthentication(authenticate: endpoints.authenticate)
        router.add(middleware: RefusalAnswers())
        router.add(middleware: UnmatchedRequestsNeedTheToken(bearer: bearer))
        let ops = endpoints.operations

        // Open: a load balancer's probe carries no token.
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }

        // Everything below runs behind the token: the check is this group's middleware.
        let api = router.group().add(middleware: bearer).add(middleware: JSONWrites())
        if let metrics = endpoints.metrics {
            api.get("/metrics") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: await metrics()))
                )
            }
        }

        api.post("/admin/v1/issuers") { request, context in
            let registration = try await AdminRequest.body(IssuerRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createIssuer(registration))
        }
        api.get("/admin/v1/issuers") { _, _ in JSONResponse.make(.ok, try await ops.issuers()) }
        api.get("/admin/v1/issuers/{name}") { _, context in
            JSONResponse.make(.ok, try await ops.issuer(named: try AdminRequest.parameter(context, "name")))
        }
        api.patch("/admin/v1/issuers/{name}") { request, context in
            let change = try await AdminRequest.body(IssuerChange.self, request, context)
            let name = try AdminRequest.parameter(context, "name")
            return JSONResponse.make(.ok, try await ops.updateIssuer(named: name, change))
        }
        api.delete("/admin/v1/issuers/{name}") { _, context in
            try await ops.deleteIssuer(named: try AdminRequest.parameter(context, "name"))
            return Response(status: .noContent)
        }

        api.post("/admin/v1/rps") { request, context in
            let registration = try await AdminRequest.body(RelyingPartyRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createRelyingParty(registration))
        }
        api.get("/admin/v1/rps") { _, _ in JSONResponse.make(.ok, try await ops.relyingParties()) }
        api.get("/admin/v1/rps/{client_id}") { _, context in
            JSONResponse.make(
                .ok,
                try await ops.relyingParty(clientID: try AdminRequest.parameter(context, "client_id"))
            )
        }
        api.patch("/admin/v1/rps/{client_id}") { request, context in
            let change = try await AdminRequest.body(RelyingPartyRegistration.self, request, context)
            let clientID = try AdminRequest.parameter(context, "client_id")
            return JSONResponse.make(.ok, try await ops.updateRelyingParty(clientID: clientID, change))
        }
        api.delete("/admin/v1/rps/{client_id}") { _, context in
            try await ops.deleteRelyingParty(clientID: try AdminRequest.parameter(context, "client_id"))
            return Response(status: .noContent)
        }

        api.post("/admin/v1/sessions") { request, context in
            let registration = try await AdminRequest.body(SessionRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createSession(registration))
        }
        api.get("/admin/v1/sessions") { request, _ in
            JSONResponse.make(.ok, try await ops.sessions(try AdminRequest.sessionQuery(request)))
        }
        api.delete("/admin/v1/sessions/{id}") { _, context in
            try await ops.deleteSession(id: try AdminRequest.identifier(context, "id"))
            return Response(status: .noContent)
        }

        api.get("/admin/v1/events") { request, _ in
            JSONResponse.make(.ok, try await ops.events(try AdminRequest.eventQuery(request)))
        }
        api.get("/admin/v1/events/{id}") { _, context in
            JSONResponse.make(.ok, try await ops.event(id: try AdminRequest.identifier(context, "id")))
        }

        api.get("/admin/v1/deliveries") { request, _ in
            JSONResponse.make(.ok, try await ops.deliveries(try AdminRequest.deliveryQuery(request)))
        }
        api.get("/admin/v1/deliveries/activity") { _, _ in JSONResponse.make(.ok, try await ops.deliveryActivity()) }
        api.get("/admin/v1/deliveries/{id}") { _, context in
            JSONResponse.make(.ok, try await ops.delivery(id: try AdminRequest.identifier(context, "id")))
        }
        api.post("/admin/v1/deliveries/{id}/retry") { _, context in
            JSONResponse.make(.accepted, try await ops.retryDelivery(id: try AdminRequest.identifier(context, "id")))
        }
        api.post("/admin/v1/deliveries/recover") { request, context in
            let recovery = try await AdminRequest.body(RecoveryRequest.self, request, context)
            return JSONResponse.make(.accepted, try await ops.recoverDeliveries(recovery))
        }

        api.get("/admin/v1/revocations") { request, _ in
            JSONResponse.make(.ok, try await ops.revocations(try AdminRequest.revocationQuery(request)))
        }
        api.post("/admin/v1/revocations/{id}/retry") { _, context in
            JSONResponse.make(.accepted, try await ops.retryRevocation(id: try AdminRequest.identifier(context, "id")))
        }

        api.post("/admin/v1/logout") { request, context in
            let command = try await AdminRequest.body(LogoutCommand.self, request, context)
            return JSONResponse.make(.accepted, try await ops.logout(command))
        }

        api.post("/admin/v1/ssf/receivers") { request, context in
            let registration = try await AdminRequest.body(ReceiverRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createReceiver(registration))
        }
        api.get("/admin/v1/ssf/receivers") { _, _ in JSONResponse.make(.ok, try await ops.receivers()) }
        api.get("/admin/v1/ssf/receivers/{name}") { _, context in
            JSONResponse.make(.ok, try await ops.receiver(named: try AdminRequest.parameter(context, "name")))
        }
        api.delete("/admin/v1/ssf/receivers/{name}") { _, context in
            try await ops.deleteReceiver(named: try AdminRequest.parameter(context, "name"))
            return Response(status: .noContent)
        }
        api.get("/admin/v1/ssf/streams") { request, _ in
            JSONResponse.make(.ok, try await ops.streams(receiver: AdminRequest.string(request, "receiver")))
        }
        api.get("/admin/v1/ssf/streams/{id}/sets") { request, context in
            JSONResponse.make(
                .ok,
                try await ops.securityEvents(
                    streamID: try AdminRequest.parameter(context, "id"),
                    limit: try AdminRequest.limit(request)
                )
            )
        }

        api.get("/admin/v1/keys") { _, _ in JSONResponse.make(.ok, try await ops.signingKeys()) }
        if let backup = endpoints.backup {
            api.get("/admin/v1/backup") { _, _ in try await backup().response() }
        }
        api.post("/admin/v1/keys/rotate") { request, context in
            let rotation = try await AdminRequest.body(KeyRotationRequest.self, request, context)
            return JSONResponse.make(.ok, try await ops.rotateSigningKeys(rotation))
        }
        return router
    }
}
