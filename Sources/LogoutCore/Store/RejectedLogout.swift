/// A refused token, for the log (ADM-1). Every field is bounded before it is stored (SEC-4):
/// what an anonymous client sends decides how much we write only up to these limits.
public struct RejectedLogout: Sendable {
    public enum Outcome: String, Sendable {
        /// `400`: the token broke a rule.
        case rejected
        /// `503`: the notifier was asked to come back (such as a key rotation in progress).
        case deferred
    }

    public static let maximumIdentifierLength = 256
    public static let maximumReasonLength = 300

    public var outcome: Outcome = .rejected
    /// A registered issuer's name, or `unknown`: never a name taken verbatim from a request.
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?
    public var tokenHash: String?
    public var reason: String
    public var clientAddress: String?
    /// The intake's trace (TRACE-1): a refused token's trace is found from its event too.
    public var traceContext: TraceContext?

    public init(
        source: String,
        iss: String?,
        sub: String?,
        sid: String?,
        jti: String?,
        tokenHash: String?,
        reason: String,
        clientAddress: String?
    ) {
        self.source = source
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.jti = jti
        self.tokenHash = tokenHash
        self.reason = reason
        self.clientAddress = clientAddress
    }

    /// The same rejection with every field cut to its bound and made printable.
    public var bounded: RejectedLogout {
        let limit = Self.maximumIdentifierLength
        let cut: (String?) -> String? = { $0.map { SafeText.printable($0, limit: limit) } }
        var copy = self
        copy.iss = cut(iss)
        copy.sub = cut(sub)
        copy.sid = cut(sid)
        copy.jti = cut(jti)
        copy.source = SafeText.truncated(source, limit: 64)
        copy.tokenHash = tokenHash.map { SafeText.truncated($0, limit: 16) }
        copy.reason = SafeText.printable(reason, limit: Self.maximumReasonLength)
        copy.clientAddress = clientAddress.map { SafeText.truncated($0, limit: 64) }
        return copy
    }
}
