import Hummingbird
import LogoutAdminAPI
import LogoutCore

/// The one place where a refusal becomes an HTTP answer, for both listeners: the public
/// endpoint, the admin API, the admin pages and the end-session pages.
///
/// Its kind decides the status and the headers the refusal needs (`Retry-After`, `Allow`,
/// `WWW-Authenticate`), whoever refuses. An API answers with the JSON body
/// `{"error", "error_description"}` (BCL §2.8, contract C4); a page answers with HTML of its own
/// template (`response(html:headers:)`). Both are `no-store`. What the admin operations throw
/// (`AdminError`) and Hummingbird's own `HTTPError` go through the same mapping
/// (`RefusalAnswers`, every router's outermost middleware); any other error is Hummingbird's
/// `500`, the details in the log only.
public struct HTTPRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case badRequest
        /// `challenge` is the `WWW-Authenticate` scheme a client should use.
        case unauthorized(challenge: String?)
        case forbidden
        /// `403` with a `WWW-Authenticate` challenge: a valid token without the scope the
        /// request needs (RFC 6750 §3.1 `insufficient_scope`).
        case insufficientScope(challenge: String)
        case notFound
        /// `allow` lists the methods the path takes.
        case methodNotAllowed(allow: String)
        case conflict
        case contentTooLarge
        case unsupportedMediaType
        /// Readable, but a member is wrong.
        case unprocessable
        case tooManyRequests(retryAfter: Duration)
        /// The store is busy or failing, or keys are being fetched: retry.
        case unavailable(retryAfter: Duration)
    }

    public var kind: Kind
    /// The stable error code of the JSON body (`invalid_request`, `temporarily_unavailable`).
    public var code: String
    /// What went wrong and how to fix it; never a secret or a token.
    public var description: String

    public init(_ kind: Kind, code: String = "invalid_request", _ description: String) {
        self.kind = kind
        self.code = code
        self.description = description
    }

    public var status: HTTPResponse.Status {
        switch kind {
        case .badRequest: return .badRequest
        case .unauthorized: return .unauthorized
        case .forbidden, .insufficientScope: return .forbidden
        case .notFound: return .notFound
        case .methodNotAllowed: return .methodNotAllowed
        case .conflict: return .conflict
        case .contentTooLarge: return .contentTooLarge
        case .unsupportedMediaType: return .unsupportedMediaType
        case .unprocessable: return .unprocessableContent
        case .tooManyRequests: return .tooManyRequests
        case .unavailable: return .serviceUnavailable
        }
    }

    /// The headers the kind needs, and `Cache-Control: no-store`: no refusal is cached.
    public var headers: HTTPFields {
        var headers: HTTPFields = [.cacheControl: "no-store"]
        switch kind {
        case .unauthorized(let challenge?), .insufficientScope(let challenge): headers[.wwwAuthenticate] = challenge
        case .methodNotAllowed(let allow): headers[.allow] = allow
        case .tooManyRequests(let wait), .unavailable(let wait): headers[.retryAfter] = Self.retryAfter(wait)
        default: break
        }
        return headers
    }

    /// `Retry-After` in whole seconds, rounded up, at least 1.
    static func retryAfter(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }

    /// A page's answer: `html` under this refusal's status and headers, with the page's own
    /// headers (its Content-Security-Policy) added.
    public func response(html: String, headers pageHeaders: HTTPFields) -> Response {
        var fields = headers
        for field in pageHeaders where fields[field.name] == nil { fields.append(field) }
        fields[.contentType] = "text/html; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension HTTPRefusal: HTTPResponseError {
    /// The API's answer: the JSON error body.
    public func response(from request: Request, context: some RequestContext) throws -> Response {
        JSONResponse.make(status, JSONResponse.ErrorBody(error: code, description: description), headers: headers)
    }
}

extension HTTPRefusal {
    /// IN-19, BR-1: the failed rule and why; never the token.
    public static func rejected(_ rejection: TokenRejection) -> HTTPRefusal {
        HTTPRefusal(.badRequest, "\(rejection.rule): \(rejection.description)")
    }

    /// What the admin operations refused, in their kinds: the statuses agree with
    /// `AdminError.httpStatus`, which the CLI reads them back with.
    public init(_ error: AdminError) {
        let kind: Kind
        switch error.kind {
        case .invalidRequest: kind = .badRequest
        case .unauthorized: kind = .unauthorized(challenge: "Bearer")
        case .notFound: kind = .notFound
        case .conflict: kind = .conflict
        case .unprocessable: kind = .unprocessable
        case .unsupportedMediaType: kind = .unsupportedMediaType
        case .unavailable: kind = .unavailable(retryAfter: .seconds(5))
        }
        self.init(kind, code: error.code, error.description)
    }

    /// A refusal from whoever raised it: ours, the admin operations', or Hummingbird's own (a
    /// body over the limit, say). `nil` for any other error, which is a `500`.
    public init?(_ error: any Error) {
        switch error {
        case let refusal as HTTPRefusal:
            self = refusal
        case let admin as AdminError:
            self.init(admin)
        case let http as HTTPError:
            let kinds: [HTTPResponse.Status: (Kind, String)] = [
                .badRequest: (.badRequest, "invalid_request"),
                .unauthorized: (.unauthorized(challenge: nil), "unauthorized"),
                .forbidden: (.forbidden, "forbidden"),
                .notFound: (.notFound, "not_found"),
                .conflict: (.conflict, "conflict"),
                .contentTooLarge: (.contentTooLarge, "invalid_request"),
                .unsupportedMediaType: (.unsupportedMediaType, "invalid_request"),
                .unprocessableContent: (.unprocessable, "invalid_request"),
            ]
            guard let known = kinds[http.status] else { return nil }
            self.init(known.0, code: known.1, http.body ?? http.status.reasonPhrase)
        default:
            return nil
        }
    }
}
