/// A row of the event log (ADM-1) as both stores write it, every field already cut to what is
/// kept: a stored event costs a bounded number of bytes whatever the request held (SEC-4).
public struct NewEvent: Sendable, Equatable {
    public var receivedAt: Timestamp
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?
    /// A short prefix of the token's hash: enough to find it again, useless to replay it.
    public var tokenHash: String?
    public var outcome: EventRecord.Outcome
    public var reason: String?
    public var deliveries: Int
    public var clientAddress: String?
    /// The intake's trace (TRACE-1), so that the log leads to it; nil when tracing is off.
    public var traceContext: TraceContext?

    public init(
        receivedAt: Timestamp,
        source: String,
        iss: String?,
        sub: String?,
        sid: String?,
        jti: String?,
        tokenHash: String?,
        outcome: EventRecord.Outcome,
        reason: String?,
        deliveries: Int,
        clientAddress: String?,
        traceContext: TraceContext? = nil
    ) {
        self.receivedAt = receivedAt
        self.source = source
        self.iss = iss.map { String($0.prefix(1024)) }
        self.sub = sub
        self.sid = sid
        self.jti = jti.map { String($0.prefix(256)) }
        self.tokenHash = tokenHash.map { String($0.prefix(16)) }
        self.outcome = outcome
        self.reason = reason
        self.deliveries = deliveries
        self.clientAddress = clientAddress
        self.traceContext = traceContext
    }

    /// The event of an accepted (or repeated) logout.
    public init(
        _ logout: AcceptedLogout,
        at now: Timestamp,
        outcome: EventRecord.Outcome,
        reason: String? = nil,
        deliveries: Int = 0
    ) {
        self.init(
            receivedAt: now,
            source: logout.request.source,
            iss: logout.iss,
            sub: logout.request.sub,
            sid: logout.request.sid,
            jti: logout.jti,
            tokenHash: logout.tokenHash,
            outcome: outcome,
            reason: reason,
            deliveries: deliveries,
            clientAddress: logout.clientAddress,
            traceContext: logout.traceContext
        )
    }

    /// The event of a refused (or deferred) token, its fields bounded first.
    public init(_ rejection: RejectedLogout, at now: Timestamp) {
        let entry = rejection.bounded
        self.init(
            receivedAt: now,
            source: entry.source,
            iss: entry.iss,
            sub: entry.sub,
            sid: entry.sid,
            jti: entry.jti,
            tokenHash: entry.tokenHash,
            outcome: entry.outcome == .deferred ? .deferred : .rejected,
            reason: entry.reason,
            deliveries: 0,
            clientAddress: entry.clientAddress,
            traceContext: rejection.traceContext
        )
    }
}
