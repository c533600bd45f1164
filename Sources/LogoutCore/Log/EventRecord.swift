/// One received logout, accepted or not (rulebook ADM-1).
public struct EventRecord: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        case accepted
        case duplicate
        case rejected
        /// Answered `503` with `Retry-After`: the notifier was asked to send it again (for
        /// example a token signed with a key published after our last fetch of the issuer's keys).
        case deferred
    }

    public var id: Int64
    public var receivedAt: Timestamp
    /// The issuer's registered name, `admin`, or `unknown` when no issuer could be selected.
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?
    /// A short SHA-256 prefix of the token: enough to correlate, useless to replay (SEC-1).
    public var tokenHash: String?
    public var outcome: Outcome
    /// For rejections: the failed rule and why.
    public var reason: String?
    public var deliveries: Int
    public var clientAddress: String?
    /// The trace the intake's span began or continued (TRACE-1); nil when tracing was off.
    public var traceID: String?

    public init(
        id: Int64,
        receivedAt: Timestamp,
        source: String,
        iss: String?,
        sub: String?,
        sid: String?,
        jti: String?,
        tokenHash: String?,
        outcome: Outcome,
        reason: String?,
        deliveries: Int,
        clientAddress: String?,
        traceID: String? = nil
    ) {
        self.id = id
        self.receivedAt = receivedAt
        self.source = source
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.jti = jti
        self.tokenHash = tokenHash
        self.outcome = outcome
        self.reason = reason
        self.deliveries = deliveries
        self.clientAddress = clientAddress
        self.traceID = traceID
    }
}
