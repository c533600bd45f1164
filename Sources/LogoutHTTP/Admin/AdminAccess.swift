import Foundation
import Hummingbird
import LogoutAdminAPI

/// SEC-7: who may call an admin route is part of the route. The bearer check is middleware of
/// the route group it guards, so it runs exactly when one of those handlers will run, however
/// the path was spelt (`//`, `/./`, a trailing `/`, percent-encoding): the router, not a string
/// comparison of ours, decides which handler that is. A request no route matches must show the
/// token before it learns that (no route discovery without the token).
public struct BearerAuthentication: RouterMiddleware {
    public typealias Context = LogoutRequestContext
    let authenticate: @Sendable (String) -> Bool

    public init(authenticate: @escaping @Sendable (String) -> Bool) {
        self.authenticate = authenticate
    }

    public func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard Self.isAuthorized(request, authenticate) else {
            throw AdminError(
                .unauthorized,
                "unauthorized",
                "send Authorization: Bearer <token> with the token from admin.token_file"
            )
        }
        return try await next(request, context)
    }

    /// `Authorization: Bearer <token>` (the scheme in any case, RFC 9110 §11.1) with the token
    /// the daemon holds; `authenticate` compares in constant time (SEC-3).
    public static func isAuthorized(_ request: Request, _ authenticate: (String) -> Bool) -> Bool {
        guard let header = request.headers[.authorization], header.utf8.count > 7,
            header.prefix(7).lowercased() == "bearer "
        else { return false }
        return authenticate(String(header.dropFirst(7)))
    }
}

/// The admin listener's router-wide guard: a request that matched no route (an unknown path, or
/// a known path with another method) answers `401` without the token and `404` only with it.
/// The router sets the endpoint before it runs a matched route's chain and never for a miss, so
/// this needs no list of paths and cannot drift from the routes.
struct UnmatchedRequestsNeedTheToken: RouterMiddleware {
    typealias Context = LogoutRequestContext
    let bearer: BearerAuthentication

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        guard context.endpointPath == nil else { return try await next(request, context) }
        return try await bearer.handle(request, context: context, next: next)
    }
}

/// SEC-7: an admin write that carries a body carries JSON. A body in another media type is
/// refused before it is read (`415`), so no form or `text/plain` post from a web page reaches a
/// handler even when a browser holds a way in.
struct JSONWrites: RouterMiddleware {
    typealias Context = LogoutRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        switch request.method {
        case .post, .put, .patch, .delete:
            let hasBody =
                request.headers[.transferEncoding] != nil
                || request.headers[.contentLength].map { $0 != "0" } == true
            if hasBody || request.headers[.contentType] != nil {
                guard let type = request.headers[.contentType], Self.isJSON(type) else {
                    throw AdminError(
                        .unsupportedMediaType,
                        "invalid_request",
                        "the body must be application/json"
                    )
                }
            }
        default:
            break
        }
        return try await next(request, context)
    }

    /// `application/json`, parameters allowed (`; charset=utf-8`), without case.
    static func isJSON(_ contentType: String) -> Bool {
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
        return mediaType.trimmingCharacters(in: .whitespaces).lowercased() == "application/json"
    }
}
