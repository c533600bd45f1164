/// A refused admin request: a stable code and a description that says how to fix it (C4).
/// The daemon throws it; the CLI receives it back from an error answer.
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible, Codable {
    public enum Kind: Sendable, Equatable {
        /// `400`: the request cannot be read.
        case invalidRequest
        /// `401`: no or a wrong bearer token.
        case unauthorized
        case notFound
        case conflict
        /// `422`: readable, but a member is wrong.
        case unprocessable
        /// `415`: a write whose body is not `application/json` (SEC-7): a page on another site
        /// can post `text/plain` without a preflight, never JSON.
        case unsupportedMediaType
        /// `503`: the store is busy or failing; retry.
        case unavailable
    }

    public let kind: Kind
    public let code: String
    public let description: String

    public init(_ kind: Kind, _ code: String, _ description: String) {
        self.kind = kind
        self.code = code
        self.description = description
    }

    public static func invalid(_ description: String) -> AdminError {
        AdminError(.unprocessable, "invalid_request", description)
    }

    public static func notFound(_ description: String) -> AdminError {
        AdminError(.notFound, "not_found", description)
    }

    public var httpStatus: Int {
        switch kind {
        case .invalidRequest: return 400
        case .unauthorized: return 401
        case .notFound: return 404
        case .conflict: return 409
        case .unprocessable: return 422
        case .unsupportedMediaType: return 415
        case .unavailable: return 503
        }
    }

    public init(status: Int, code: String, description: String) {
        let kind: Kind
        switch status {
        case 400: kind = .invalidRequest
        case 401: kind = .unauthorized
        case 404: kind = .notFound
        case 409: kind = .conflict
        case 415: kind = .unsupportedMediaType
        case 503: kind = .unavailable
        default: kind = .unprocessable
        }
        self.init(kind, code, description)
    }

    enum CodingKeys: String, CodingKey {
        case code = "error"
        case description = "error_description"
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            .unprocessable,
            try container.decode(String.self, forKey: .code),
            try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        )
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(code, forKey: .code)
        try container.encode(description, forKey: .description)
    }
}
