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
    /// The SSF transmitter's endpoints (contract C7).
    public var streams: (any StreamManagement)?
    /// SETs pushed to us by registered issuers (SSF-5).
    public var securityEvents: (any SecurityEventIntake)?
    /// Front-channel logouts of OPs that send no back-channel tokens (FC-1 to FC-4).
    public var frontChannel: (any FrontChannelIntake)?
    /// A server span per request (`tracing:` on), continuing an incoming `traceparent`.
    public var traced = false

    public init(
        intake: any LogoutIntake,
        discovery: @escaping @Sendable () -> JSONValue,
        jwks: @escaping @Sendable () -> JSONValue,
        readiness: @escaping @Sendable () async -> Bool,
        streams: (any StreamManagement)? = nil,
        securityEvents: (any SecurityEventIntake)? = nil,
        frontChannel: (any FrontChannelIntake)? = nil
    ) {
        self.intake = intake
        self.discovery = discovery
        self.jwks = jwks
        self.readiness = readiness
        self.streams = streams
        self.securityEvents = securityEvents
        self.frontChannel = frontChannel
    }
}

public enum PublicRoutes {
    /// IN-1: a logout token is a few KiB at most; anything larger is refused unread.
    public static let maximumBodyBytes = 16 * 1024

    static let otherMethods: [HTTPRequest.Method] = [.get, .put, .delete, .patch, .head, .options]

    public static func router(_ endpoints: PublicEndpoints) -> Router<LogoutRequestContext> {
        let router = Router(context: LogoutRequestContext.self)
        // First, so that refusals are answered inside the span and their status recorded.
        if endpoints.traced { router.add(middleware: ServerSpanMiddleware()) }
        router.add(middleware: RefusalAnswers())
        for path in ["/backchannel-logout", "/backchannel-logout/{name}"] {
            router.post(RouterPath(path)) { request, context in
                try await receiveLogout(
                    request,
                    context: context,
                    pinned: context.parameters.get("name"),
                    endpoints: endpoints
                )
            }
            for method in otherMethods {
                router.on(RouterPath(path), method: method) { _, _ -> Response in
                    throw HTTPRefusal(.methodNotAllowed(allow: "POST"), "method not allowed; use POST")
                }
            }
        }
        router.get("/.well-known/openid-configuration") { _, _ in
            JSONResponse.make(.ok, endpoints.discovery(), headers: [.cacheControl: "public, max-age=300"])
        }
        router.get("/.well-known/jwks.json") { _, _ in
            JSONResponse.make(.ok, endpoints.jwks(), headers: [.cacheControl: "public, max-age=300"])
        }
        if let streams = endpoints.streams { SharedSignalsRoutes.register(on: router, streams) }
        if let securityEvents = endpoints.securityEvents { SecurityEventPushRoute.register(on: router, securityEvents) }
        if let frontChannel = endpoints.frontChannel { FrontChannelLogoutRoute.register(on: router, frontChannel) }
        router.get("/healthz") { _, _ in JSONResponse.make(.ok, ["status": "ok"]) }
        router.get("/readyz") { _, _ in
            await endpoints.readiness()
                ? JSONResponse.make(.ok, ["status": "ready"])
                : JSONResponse.make(.serviceUnavailable, ["status": "not ready"])
        }
        return router
    }

    /// IN-1, then the intake; every refusal is an `HTTPRefusal`.
    static func receiveLogout(
        _ request: Request,
        context: LogoutRequestContext,
        pinned: String?,
        endpoints: PublicEndpoints
    ) async throws -> Response {
        guard let contentType = request.headers[.contentType], isFormEncoded(contentType) else {
            throw HTTPRefusal(.unsupportedMediaType, "the body must be application/x-www-form-urlencoded")
        }
        if let length = request.headers[.contentLength].flatMap({ Int($0) }), length > maximumBodyBytes {
            throw tooLarge
        }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: maximumBodyBytes)
        } catch {
            throw tooLarge
        }
        guard let form = FormBody(Array(body.readableBytesView)) else {
            throw HTTPRefusal(.badRequest, "the form body is not valid URL encoding")
        }
        let tokens = form.values(named: "logout_token")
        guard tokens.count == 1, let token = tokens.first, !token.isEmpty else {
            throw HTTPRefusal(
                .badRequest,
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
            return JSONResponse.emptyNoStore(.ok)
        case .rejected(let rejection):
            throw HTTPRefusal.rejected(rejection)
        case .rateLimited(let retryAfter):
            throw HTTPRefusal(
                .tooManyRequests(retryAfter: retryAfter),
                "too many rejected requests from this client or for this issuer; retry later"
            )
        case .unavailable(let reason, let retryAfter):
            throw HTTPRefusal(.unavailable(retryAfter: retryAfter), code: "temporarily_unavailable", reason)
        }
    }

    /// The media type before any parameter, around it only HTTP's optional white space (space and
    /// tab), compared without case. Plain Swift: Foundation's trimming bridged through `NSString`
    /// on every logout.
    public static func isFormEncoded(_ contentType: String) -> Bool {
        var mediaType = contentType.utf8.prefix { $0 != UInt8(ascii: ";") }
        while let first = mediaType.first, first == 0x20 || first == 0x09 { mediaType = mediaType.dropFirst() }
        while let last = mediaType.last, last == 0x20 || last == 0x09 { mediaType = mediaType.dropLast() }
        let expected = "application/x-www-form-urlencoded".utf8
        return mediaType.count == expected.count
            && zip(mediaType, expected).allSatisfy { byte, lower in
                (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(byte) ? byte | 0x20 == lower : byte == lower
            }
    }

    static let tooLarge = HTTPRefusal(.contentTooLarge, "the body is larger than \(maximumBodyBytes) bytes")
}
