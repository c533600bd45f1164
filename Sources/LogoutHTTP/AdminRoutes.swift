import Foundation
import Hummingbird
import Logging
import LogoutCore
import NIOCore

/// What the admin listener serves.
public struct AdminEndpoints: Sendable {
    public var operations: any AdminOperations
    /// Checks a presented bearer token; must compare in constant time (SEC-3).
    public var authenticate: @Sendable (String) -> Bool
    /// Prometheus text for `/metrics`, when metrics are enabled.
    public var metrics: (@Sendable () async -> String)?

    public init(
        operations: any AdminOperations,
        authenticate: @escaping @Sendable (String) -> Bool,
        metrics: (@Sendable () async -> String)? = nil
    ) {
        self.operations = operations
        self.authenticate = authenticate
        self.metrics = metrics
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
        if request.uri.path == "/healthz" { return try await next(request, context) }
        guard let header = request.headers[.authorization], header.count > 7,
            header.prefix(7).lowercased() == "bearer ", authenticate(String(header.dropFirst(7)))
        else {
            return Responses.error(
                .unauthorized,
                code: "unauthorized",
                description: "send Authorization: Bearer <token> with the token from admin.token_file",
                headers: [.wwwAuthenticate: "Bearer"]
            )
        }
        return try await next(request, context)
    }
}

public enum AdminRoutes {
    public static func router(_ endpoints: AdminEndpoints) -> Router<LogoutRequestContext> {
        let router = Router(context: LogoutRequestContext.self)
        router.add(middleware: BearerAuthentication(authenticate: endpoints.authenticate))
        let ops = endpoints.operations

        router.get("/healthz") { _, _ in Responses.json(.ok, ["status": "ok"]) }
        if let metrics = endpoints.metrics {
            router.get("/metrics") { _, _ in
                Response(
                    status: .ok,
                    headers: [.contentType: "text/plain; version=0.0.4"],
                    body: .init(byteBuffer: ByteBuffer(string: await metrics()))
                )
            }
        }

        // Issuers
        router.post("/admin/v1/issuers") { request, context in
            await respond(context) {
                let input = try AdminInputs.issuer(try await body(request, context, what: "the issuer"))
                return Responses.json(.created, AdminRender.issuer(try await ops.createIssuer(input)))
            }
        }
        router.get("/admin/v1/issuers") { _, context in
            await respond(context) {
                Responses.json(.ok, ["issuers": .array(try await ops.issuers().map(AdminRender.issuer))])
            }
        }
        router.get("/admin/v1/issuers/{name}") { _, context in
            await respond(context) {
                Responses.json(.ok, AdminRender.issuer(try await ops.issuer(named: try parameter(context, "name"))))
            }
        }
        router.delete("/admin/v1/issuers/{name}") { _, context in
            await respond(context) {
                try await ops.deleteIssuer(named: try parameter(context, "name"))
                return Response(status: .noContent)
            }
        }

        // Relying parties
        router.post("/admin/v1/rps") { request, context in
            await respond(context) {
                let input = try AdminInputs.relyingParty(try await body(request, context, what: "the RP"))
                return Responses.json(.created, AdminRender.relyingParty(try await ops.createRelyingParty(input)))
            }
        }
        router.get("/admin/v1/rps") { _, context in
            await respond(context) {
                Responses.json(.ok, ["rps": .array(try await ops.relyingParties().map(AdminRender.relyingParty))])
            }
        }
        router.get("/admin/v1/rps/{client_id}") { _, context in
            await respond(context) {
                let rp = try await ops.relyingParty(clientID: try parameter(context, "client_id"))
                return Responses.json(.ok, AdminRender.relyingParty(rp))
            }
        }
        router.patch("/admin/v1/rps/{client_id}") { request, context in
            await respond(context) {
                let current = try await ops.relyingParty(clientID: try parameter(context, "client_id"))
                let patch = try await body(request, context, what: "the RP")
                let input = try AdminInputs.patchedRelyingParty(current, patch: patch)
                return Responses.json(.ok, AdminRender.relyingParty(try await ops.replaceRelyingParty(input)))
            }
        }
        router.delete("/admin/v1/rps/{client_id}") { _, context in
            await respond(context) {
                try await ops.deleteRelyingParty(clientID: try parameter(context, "client_id"))
                return Response(status: .noContent)
            }
        }

        // Sessions
        router.post("/admin/v1/sessions") { request, context in
            await respond(context) {
                let input = try AdminInputs.session(try await body(request, context, what: "the session"))
                return Responses.json(.created, AdminRender.session(try await ops.createSession(input)))
            }
        }
        router.get("/admin/v1/sessions") { request, context in
            await respond(context) {
                let query = SessionQuery(
                    issuer: request.uri.queryParameters["issuer"].map(String.init),
                    sub: request.uri.queryParameters["sub"].map(String.init),
                    clientID: request.uri.queryParameters["client_id"].map(String.init),
                    limit: try limit(request)
                )
                return Responses.json(.ok, ["sessions": .array(try await ops.sessions(query).map(AdminRender.session))])
            }
        }
        router.delete("/admin/v1/sessions/{id}") { _, context in
            await respond(context) {
                try await ops.deleteSession(id: try numericParameter(context, "id"))
                return Response(status: .noContent)
            }
        }

        // Events
        router.get("/admin/v1/events") { request, context in
            await respond(context) {
                var query = EventQuery(limit: try limit(request), beforeID: try optionalNumber(request, "before"))
                if let outcome = request.uri.queryParameters["outcome"] {
                    guard let value = EventRecord.Outcome(rawValue: String(outcome)) else {
                        throw AdminError(
                            .invalidRequest,
                            "invalid_request",
                            "outcome must be accepted, duplicate or rejected"
                        )
                    }
                    query.outcome = value
                }
                return Responses.json(.ok, ["events": .array(try await ops.events(query).map(AdminRender.event))])
            }
        }
        router.get("/admin/v1/events/{id}") { _, context in
            await respond(context) {
                Responses.json(.ok, AdminRender.event(try await ops.event(id: try numericParameter(context, "id"))))
            }
        }

        // Deliveries
        router.get("/admin/v1/deliveries") { request, context in
            await respond(context) {
                var query = DeliveryQuery(
                    clientID: request.uri.queryParameters["client_id"].map(String.init),
                    eventID: try optionalNumber(request, "event_id"),
                    limit: try limit(request),
                    beforeID: try optionalNumber(request, "before")
                )
                if let status = request.uri.queryParameters["status"] {
                    guard let value = DeliveryStatus(rawValue: String(status)) else {
                        throw AdminError(
                            .invalidRequest,
                            "invalid_request",
                            "status must be one of \(DeliveryStatus.allCases.map(\.rawValue).joined(separator: ", "))"
                        )
                    }
                    query.status = value
                }
                return Responses.json(
                    .ok,
                    ["deliveries": .array(try await ops.deliveries(query).map(AdminRender.delivery))]
                )
            }
        }
        router.get("/admin/v1/deliveries/{id}") { _, context in
            await respond(context) {
                let (delivery, attempts) = try await ops.delivery(id: try numericParameter(context, "id"))
                var object = AdminRender.delivery(delivery).objectValue ?? [:]
                object["attempt_log"] = .array(attempts.map(AdminRender.attempt))
                return Responses.json(.ok, .object(object))
            }
        }
        router.post("/admin/v1/deliveries/{id}/retry") { _, context in
            await respond(context) {
                try await ops.retryDelivery(id: try numericParameter(context, "id"))
                return Responses.json(.accepted, ["queued": 1])
            }
        }
        router.post("/admin/v1/deliveries/recover") { request, context in
            await respond(context) {
                let body = try await body(request, context, what: "the recovery")
                try body.allowOnly(["client_id", "since"])
                let since = try body.optionalDate("since") ?? Date(timeIntervalSince1970: 0)
                let count = try await ops.recoverDeliveries(clientID: try body.string("client_id"), since: since)
                return Responses.json(.accepted, ["queued": .number(Double(count))])
            }
        }

        // Admin-triggered logout
        router.post("/admin/v1/logout") { request, context in
            await respond(context) {
                let body = try await body(request, context, what: "the logout")
                try body.allowOnly(["issuer", "sub", "sid"])
                let eventID = try await ops.logout(
                    issuer: try body.string("issuer"),
                    sub: try body.optionalString("sub"),
                    sid: try body.optionalString("sid")
                )
                return Responses.json(.accepted, ["event_id": .number(Double(eventID))])
            }
        }

        router.get("/admin/v1/keys") { _, context in
            await respond(context) {
                Responses.json(.ok, ["keys": .array(try await ops.signingKeys().map(AdminRender.signingKey))])
            }
        }
        return router
    }

    /// Runs a handler and maps its errors: `AdminError`s as they say, anything else as a 500
    /// whose details go to the log, not to the caller.
    static func respond(_ context: LogoutRequestContext, _ handler: () async throws -> Response) async -> Response {
        do {
            return try await handler()
        } catch let error as AdminError {
            return Responses.admin(error)
        } catch {
            context.logger.error("admin request failed", metadata: ["error": "\(error)"])
            return Responses.error(
                .internalServerError,
                code: "server_error",
                description: "internal error; see the log"
            )
        }
    }

    static func body(_ request: Request, _ context: LogoutRequestContext, what: String) async throws -> AdminBody {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: context.maxUploadSize)
        } catch {
            throw AdminError(
                .invalidRequest,
                "invalid_request",
                "the body is larger than \(context.maxUploadSize) bytes"
            )
        }
        return try AdminBody(Array(buffer.readableBytesView), what: what)
    }

    static func parameter(_ context: LogoutRequestContext, _ name: String) throws -> String {
        guard let value = context.parameters.get(name) else { throw AdminError.notFound("missing \(name)") }
        return value.removingPercentEncoding ?? value
    }

    static func numericParameter(_ context: LogoutRequestContext, _ name: String) throws -> Int64 {
        guard let value = Int64(try parameter(context, name)) else {
            throw AdminError.notFound("\(name) must be a number")
        }
        return value
    }

    static func limit(_ request: Request) throws -> Int {
        guard let text = request.uri.queryParameters["limit"] else { return 100 }
        guard let value = Int(String(text)), (1...1000).contains(value) else {
            throw AdminError(.invalidRequest, "invalid_request", "limit must be a number from 1 to 1000")
        }
        return value
    }

    static func optionalNumber(_ request: Request, _ name: String) throws -> Int64? {
        guard let text = request.uri.queryParameters[Substring(name)] else { return nil }
        guard let value = Int64(String(text)) else {
            throw AdminError(.invalidRequest, "invalid_request", "\(name) must be a number")
        }
        return value
    }
}
