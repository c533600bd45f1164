import Foundation
import Hummingbird
import Logging
import LogoutCore
import NIOCore

/// What the public listener serves: notifiers, discovery and key publication, health.
public struct PublicEndpoints: Sendable {
    public var intake: any LogoutIntake
    public var discovery: @Sendable () -> JSONValue
    public var jwks: @Sendable () -> JSONValue
    public var readiness: @Sendable () async -> Bool

    public init(
        intake: any LogoutIntake,
        discovery: @escaping @Sendable () -> JSONValue,
        jwks: @escaping @Sendable () -> JSONValue,
        readiness: @escaping @Sendable () async -> Bool
    ) {
        self.intake = intake
        self.discovery = discovery
        self.jwks = jwks
        self.readiness = readiness
    }
}

public enum PublicRoutes {
    /// IN-1: a logout token is a few KiB at most; anything larger is refused unread.
    public static let maximumBodyBytes = 16 * 1024

    static let otherMethods: [HTTPRequest.Method] = [.get, .put, .delete, .patch, .head, .options]

    public static func router(_ endpoints: PublicEndpoints) -> Router<LogoutRequestContext> {
        let router = Router(context: LogoutRequestContext.self)
        for path in ["/backchannel-logout", "/backchannel-logout/{name}"] {
            router.post(RouterPath(path)) { request, context in
                await receiveLogout(
                    request,
                    context: context,
                    pinned: context.parameters.get("name"),
                    endpoints: endpoints
                )
            }
            for method in otherMethods {
                router.on(RouterPath(path), method: method) { _, _ in Responses.methodNotAllowed(allow: "POST") }
            }
        }
        router.get("/.well-known/openid-configuration") { _, _ in
            Responses.json(.ok, endpoints.discovery(), headers: [.cacheControl: "public, max-age=300"])
        }
        router.get("/.well-known/jwks.json") { _, _ in
            Responses.json(.ok, endpoints.jwks(), headers: [.cacheControl: "public, max-age=300"])
        }
        router.get("/healthz") { _, _ in Responses.json(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in
            await endpoints.readiness()
                ? Responses.json(.ok, ["status": "ready"])
                : Responses.json(.serviceUnavailable, ["status": "not ready"])
        }
        return router
    }

    static func receiveLogout(
        _ request: Request,
        context: LogoutRequestContext,
        pinned: String?,
        endpoints: PublicEndpoints
    ) async -> Response {
        guard let contentType = request.headers[.contentType], isFormEncoded(contentType) else {
            return Responses.error(
                .unsupportedMediaType,
                code: "invalid_request",
                description: "the body must be application/x-www-form-urlencoded"
            )
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maximumBodyBytes {
            return tooLarge()
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            return tooLarge()
        }
        guard let form = FormBody(Array(body.readableBytesView)) else {
            return invalid("the form body is not valid URL encoding")
        }
        let tokens = form.values(named: "logout_token")
        guard tokens.count == 1, let token = tokens.first, !token.isEmpty else {
            return invalid(
                tokens.count > 1 ? "logout_token must be sent once" : "the logout_token form field is missing or empty"
            )
        }
        let result = await endpoints.intake.receive(
            InboundLogout(
                token: token,
                pinnedIssuer: pinned,
                clientAddress: context.clientAddress,
                budgetKey: context.budgetKey
            )
        )
        switch result {
        case .accepted, .duplicate:
            return Responses.emptyNoStore(.ok)
        case .rejected(let rejection):
            return invalid("\(rejection.rule): \(rejection.description)")
        case .rateLimited(let retryAfter):
            return Responses.error(
                .tooManyRequests,
                code: "invalid_request",
                description: "too many rejected requests from this client or for this issuer; retry later",
                headers: [.retryAfter: Responses.retryAfter(retryAfter)]
            )
        case .unavailable(let reason, let retryAfter):
            return Responses.error(
                .serviceUnavailable,
                code: "temporarily_unavailable",
                description: reason,
                headers: [.retryAfter: Responses.retryAfter(retryAfter)]
            )
        }
    }

    static func isFormEncoded(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1).first.map {
            $0.trimmingCharacters(in: .whitespaces).lowercased()
        }
        return mediaType == "application/x-www-form-urlencoded"
    }

    static func invalid(_ description: String) -> Response {
        Responses.error(.badRequest, code: "invalid_request", description: description)
    }

    static func tooLarge() -> Response {
        Responses.error(
            .contentTooLarge,
            code: "invalid_request",
            description: "the body is larger than \(maximumBodyBytes) bytes"
        )
    }
}
