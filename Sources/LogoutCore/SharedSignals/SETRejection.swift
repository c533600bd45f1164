/// Why a SET pushed to us was refused (SSF-5): RFC 8935 §2.4's `err` code, the rule, and a
/// description safe to return to the transmitter (it never echoes the SET).
public struct SETRejection: Error, Sendable, Equatable, CustomStringConvertible {
    public let err: SETErrorCode
    /// Rulebook id: `SSF-5`.
    public let rule: String
    public let description: String

    public init(_ err: SETErrorCode, _ description: String, rule: String = "SSF-5") {
        self.err = err
        self.rule = rule
        self.description = description
    }

    /// The body of the 400 answer (RFC 8935 §2.3), sent as `application/json`.
    public var body: SETErrorBody { SETErrorBody(err, description: description) }

    /// A body that is not a compact JWS, or whose JSON is broken or repeats a member (IN-2, IN-6).
    public init(parsing rejection: TokenRejection) {
        self.init(.invalidRequest, "the SET cannot be parsed: \(rejection.description)")
    }

    /// No key of the issuer has this `kid`, even after a refresh of its keys.
    public static func unknownKey(_ kid: String) -> SETRejection {
        SETRejection(.invalidKey, "no key of this issuer has kid \(quoted(kid))")
    }

    /// The issuer has no key for the SET's algorithm.
    public static func noUsableKey() -> SETRejection {
        SETRejection(.invalidKey, "no key of this issuer can verify the SET's algorithm")
    }

    public static func invalidSignature() -> SETRejection {
        SETRejection(.authenticationFailed, "the SET's signature does not verify with the issuer's keys")
    }

    /// The route names no registered issuer. The same words for every unknown name, so issuer
    /// names cannot be probed (IN-3).
    public static func unknownIssuer() -> SETRejection {
        SETRejection(.invalidIssuer, "this push endpoint belongs to no registered issuer")
    }

    /// A registered issuer that may not push SETs to us (disabled, or not set up for SSF).
    public static func notAllowed() -> SETRejection {
        SETRejection(.accessDenied, "this issuer is not allowed to push SETs")
    }
}
