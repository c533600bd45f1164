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

/// Refuses any admin request without the right `Authorization: Bearer` token.
struct BearerAuthentication: RouterMiddleware {
    typealias Context = LogoutRequestContext
    let authenticate: @Sendable (String) -> Bool

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // The delivery log page checks its own access (a session cookie, or this token).
        let path = request.uri.path
        if path == "/healthz" || path == "/admin" || (path.hasPrefix("/admin/") && !path.hasPrefix("/admin/v1/")) {
            return try await next(request, context)
        }
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer ", authenticate(String(header.dropFirst(7)))
        else {
            throw AdminError(
                .unauthorized,
                "unauthorized",
                "send Authorization: Bearer <token> with the token from admin.token_file"
            )
        }
        return try await next(request, context)
    }
}

/// The admin API (contract C4): each route reads its request, calls `AdminOperations`, and
/// encodes the answer; refusals are thrown `AdminError`s, which answer for themselves.
public enum AdminRoutes {
    public static func router(_ endpoints: AdminEndpoints) -> Router<LogoutRequestContext> {
        let router = Router(context: LogoutRequestContext.self)
        router.add(middleware: BearerAuthentication(authenticate: endpoints.authenticate))
        let ops = endpoints.operations

        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        if let metrics = endpoints.metrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4", .cacheControl: "no-store"],
                    body: .init(byteBuffer: ByteBuffer(string: await metrics()))
                )
            }
        }

        router.post("/admin/v1/issuers") { request, context in
            let registration = try await AdminRequest.body(IssuerRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createIssuer(registration))
        }
        router.get("/admin/v1/issuers") { _, _ in JSONResponse.make(.ok, try await ops.issuers()) }
        router.get("/admin/v1/issuers/{name}") { _, context in
            JSONResponse.make(.ok, try await ops.issuer(named: try AdminRequest.parameter(context, "name")))
        }
        router.patch("/admin/v1/issuers/{name}") { request, context in
            let change = try await AdminRequest.body(IssuerChange.self, request, context)
            let name = try AdminRequest.parameter(context, "name")
            return JSONResponse.make(.ok, try await ops.updateIssuer(named: name, change))
        }
        router.delete("/admin/v1/issuers/{name}") { _, context in
            try await ops.deleteIssuer(named: try AdminRequest.parameter(context, "name"))
            return Response(status: .noContent)
        }

        router.post("/admin/v1/rps") { request, context in
            let registration = try await AdminRequest.body(RelyingPartyRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createRelyingParty(registration))
        }
        router.get("/admin/v1/rps") { _, _ in JSONResponse.make(.ok, try await ops.relyingParties()) }
        router.get("/admin/v1/rps/{client_id}") { _, context in
            JSONResponse.make(
                .ok,
                try await ops.relyingParty(clientID: try AdminRequest.parameter(context, "client_id"))
            )
        }
        router.patch("/admin/v1/rps/{client_id}") { request, context in
            let change = try await AdminRequest.body(RelyingPartyRegistration.self, request, context)
            let clientID = try AdminRequest.parameter(context, "client_id")
            return JSONResponse.make(.ok, try await ops.updateRelyingParty(clientID: clientID, change))
        }
        router.delete("/admin/v1/rps/{client_id}") { _, context in
            try await ops.deleteRelyingParty(clientID: try AdminRequest.parameter(context, "client_id"))
            return Response(status: .noContent)
        }

        router.post("/admin/v1/sessions") { request, context in
            let registration = try await AdminRequest.body(SessionRegistration.self, request, context)
            return JSONResponse.make(.created, try await ops.createSession(registration))
        }
        router.get("/admin/v1/sessions") { request, _ in
            JSONResponse.make(.ok, try await ops.sessions(try AdminRequest.sessionQuery(request)))
        }
        router.delete("/admin/v1/sessions/{id}") { _, context in
            try await ops.deleteSession(id: try AdminRequest.identifier(context, "id"))
            return Response(status: .noContent)
        }

        router.get("/admin/v1/events") { request, _ in
            JSONResponse.make(.ok, try await ops.events(try AdminRequest.eventQuery(request)))
        }
        router.get("/admin/v1/events/{id}") { _, context in
            JSONResponse.make(.ok, try await ops.event(id: try AdminRequest.identifier(context, "id")))
        }

        router.get("/admin/v1/deliveries") { request, _ in
            JSONResponse.make(.ok, try await ops.deliveries(try AdminRequest.deliveryQuery(request)))
        }
        router.get("/admin/v1/deliveries/activity") { _, _ in JSONResponse.make(.ok, try await ops.deliveryActivity()) }
        router.get("/admin/v1/deliveries/{id}") { _, context in
            JSONResponse.make(.ok, try await ops.delivery(id: try AdminRequest.identifier(context, "id")))
        }
        router.post("/admin/v1/deliveries/{id}/retry") { _, context in
            JSONResponse.make(.accepted, try await ops.retryDelivery(id: try AdminRequest.identifier(context, "id")))
        }
        router.post("/admin/v1/deliveries/recover") { request, context in
            let recovery = try await AdminRequest.body(RecoveryRequest.self, request, context)
            return JSONResponse.make(.accepted, try await ops.recoverDeliveries(recovery))
        }

        router.get("/admin/v1/revocations") { request, _ in
            JSONResponse.make(.ok, try await ops.revocations(try AdminRequest.revocationQuery(request)))
        }
        router.post("/admin/v1/revocations/{id}/retry") { _, context in
            JSONResponse.make(.accepted, try await ops.retryRevocation(id: try AdminRequest.identifier(context, "id")))
        }

        router.post("/admin/v1/logout") { request, context in
            let command = try await AdminRequest.body(LogoutCommand.self, request, context)
            return JSONResponse.make(.accepted, try await ops.logout(command))
        }

        router.get("/admin/v1/keys") { _, _ in JSONResponse.make(.ok, try await ops.signingKeys()) }
        if let backup = endpoints.backup {
            router.get("/admin/v1/backup") { _, _ in try await backup().response() }
        }
        router.post("/admin/v1/keys/rotate") { request, context in
            let rotation = try await AdminRequest.body(KeyRotationRequest.self, request, context)
            return JSONResponse.make(.ok, try await ops.rotateSigningKeys(rotation))
        }
        return router
    }
}
