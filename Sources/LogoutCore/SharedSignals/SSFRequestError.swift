/// Why a stream-management or poll request was refused: the HTTP status SSF §8 gives the case,
/// and a description safe to return (it never carries `authorization_header` or a token).
///
/// A struct with static constructors rather than an enum, so cases can grow without breaking the
/// routes that map it to an answer.
public struct SSFRequestError: Error, Sendable, Equatable, CustomStringConvertible {
    /// 400, 404, 409 or 429.
    public let status: Int
    /// The rulebook rule the request broke (`SSF-2` management, `SSF-4` poll).
    public let rule: String
    public let description: String

    public init(status: Int, rule: String = "SSF-2", _ description: String) {
        self.status = status
        self.rule = rule
        self.description = description
    }

    /// The request cannot be parsed or breaks a rule of SSF §8.1 (400).
    public static func badRequest(_ description: String, rule: String = "SSF-2") -> SSFRequestError {
        SSFRequestError(status: 400, rule: rule, description)
    }

    /// No stream with that id belongs to this receiver (404): another receiver's stream is
    /// answered the same way, so ids cannot be probed (SSF §8, SSF-2).
    public static func streamNotFound() -> SSFRequestError {
        SSFRequestError(status: 404, "no stream with this stream_id belongs to this receiver")
    }

    public static func conflict(_ description: String) -> SSFRequestError {
        SSFRequestError(status: 409, description)
    }

    /// Verification asked for more often than `min_verification_interval` (SSF §8.1.4.2).
    public static func tooManyRequests(_ description: String) -> SSFRequestError {
        SSFRequestError(status: 429, description)
    }

    /// `invalid_request` or `not_found`…: a short code for the body.
    public var code: String {
        switch status {
        case 404: return "not_found"
        case 409: return "conflict"
        case 429: return "too_many_requests"
        default: return "invalid_request"
        }
    }

    /// `{"error","error_description"}`, the shape of our other JSON refusals (IN-19).
    public var json: JSONValue {
        ["error": .string(code), "error_description": .string(description)]
    }
}
