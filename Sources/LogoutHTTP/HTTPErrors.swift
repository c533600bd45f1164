import Foundation
import Hummingbird
import LogoutAdminAPI
import LogoutCore
import NIOCore

/// The one place where refusals become HTTP answers, for both listeners: a status, a JSON body
/// `{"error", "error_description"}` (BCL §2.8, contract C4), `Cache-Control: no-store`, and the
/// headers the refusal needs (`Retry-After`, `Allow`, `WWW-Authenticate`). Any other error is
/// Hummingbird's `500`, with the details in the log only.
public struct PublicError: Error, HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: String
    public var description: String
    public var headers: HTTPFields

    public init(
        _ status: HTTPResponse.Status,
        code: String = "invalid_request",
        _ description: String,
        headers: HTTPFields = [:]
    ) {
        self.status = status
        self.code = code
        self.description = description
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(
            status,
            AdminError(.invalidRequest, code, description),
            headers: headers
        )
    }

    /// IN-19: the failed rule and why; never the token.
    static func rejected(_ rejection: TokenRejection) -> PublicError {
        PublicError(.badRequest, "\(rejection.rule): \(rejection.description)")
    }

    static func retryLater(
        _ status: HTTPResponse.Status,
        code: String,
        _ description: String,
        after: Duration
    ) -> PublicError {
        PublicError(status, code: code, description, headers: [.retryAfter: retryAfter(after)])
    }

    /// `Retry-After` in whole seconds, rounded up, at least 1.
    static func retryAfter(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }
}

extension AdminError: HTTPResponseError {
    public var status: HTTPResponse.Status { HTTPResponse.Status(code: httpStatus) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var headers: HTTPFields = [:]
        switch kind {
        case .unavailable: headers[.retryAfter] = "5"
        case .unauthorized: headers[.wwwAuthenticate] = "Bearer"
        default: break
        }
        return JSONResponse.make(status, self, headers: headers)
    }
}

/// JSON answers with the admin API's encoding: `no-store` unless `headers` say otherwise
/// (discovery and JWKS are cacheable).
enum JSONResponse {
    static func make(_ status: HTTPResponse.Status, _ value: some Encodable, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
        let bytes = (try? AdminJSON.encode(value)) ?? Array(#"{"error":"server_error"}"#.utf8)
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    static func emptyNoStore(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.cacheControl: "no-store"])
    }
}
