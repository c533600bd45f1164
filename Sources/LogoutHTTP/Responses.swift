import Hummingbird
import LogoutCore
import NIOCore

/// The one place where outcomes become HTTP responses, for both listeners.
enum Responses {
    /// JSON, `no-store` unless `headers` say otherwise (discovery and JWKS are cacheable).
    static func json(_ status: HTTPResponse.Status, _ value: JSONValue, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = "application/json"
        if fields[.cacheControl] == nil { fields[.cacheControl] = "no-store" }
        return Response(
            status: status,
            headers: fields,
            body: .init(byteBuffer: ByteBuffer(bytes: JSONSerializer.serialize(value)))
        )
    }

    /// `{"error": …, "error_description": …}` as BCL §2.8 and contract C4 shape it.
    static func error(
        _ status: HTTPResponse.Status,
        code: String,
        description: String,
        headers: HTTPFields = [:]
    ) -> Response {
        json(status, ["error": .string(code), "error_description": .string(description)], headers: headers)
    }

    static func emptyNoStore(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.cacheControl: "no-store"])
    }

    static func methodNotAllowed(allow: String) -> Response {
        error(
            .methodNotAllowed,
            code: "invalid_request",
            description: "method not allowed; use \(allow)",
            headers: [.allow: allow]
        )
    }

    /// `Retry-After` in whole seconds, rounded up, at least 1.
    static func retryAfter(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return String(max(1, seconds + (attoseconds > 0 ? 1 : 0)))
    }

    static func status(for kind: AdminError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalidRequest: return .badRequest
        case .notFound: return .notFound
        case .conflict: return .conflict
        case .unprocessable: return .unprocessableContent
        case .unavailable: return .serviceUnavailable
        }
    }

    static func admin(_ error: AdminError) -> Response {
        var headers: HTTPFields = [:]
        if error.kind == .unavailable { headers[.retryAfter] = "5" }
        return Self.error(status(for: error.kind), code: error.code, description: error.description, headers: headers)
    }
}
