/// A delivery taken from the queue under a lease, with what an attempt needs to know of its RP.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var clientID: String
    public var sub: String?
    public var sid: String?
    public var attempts: Int
    public var createdAt: Timestamp
    public var uri: String
    public var signingAlgorithm: SigningAlgorithm
    /// The RP's HS256 client secret, still sealed: opened only to sign.
    public var sealedClientSecret: [UInt8]?
    public var tokenIssuer: String?
    /// RES-5: a subject-wide delivery whose subject has a live session at this RP that began
    /// after the delivery was created. Read in the claim, so an attempt needs no query of its own.
    public var newerSessionExists: Bool
    /// The claim's lease, which the outcome is stored under.
    public var leaseStamp: LeaseStamp?
    /// The logout's trace (TRACE-1), read with the claim: each attempt is a span of it.
    public var traceContext: TraceContext?

    public init(
        id: Int64,
        eventID: Int64,
        clientID: String,
        sub: String? = nil,
        sid: String? = nil,
        attempts: Int = 0,
        createdAt: Timestamp,
        uri: String,
        signingAlgorithm: SigningAlgorithm = .es256,
        sealedClientSecret: [UInt8]? = nil,
        tokenIssuer: String? = nil,
        newerSessionExists: Bool = false,
        leaseStamp: LeaseStamp? = nil,
        traceContext: TraceContext? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.clientID = clientID
        self.sub = sub
        self.sid = sid
        self.attempts = attempts
        self.createdAt = createdAt
        self.uri = uri
        self.signingAlgorithm = signingAlgorithm
        self.sealedClientSecret = sealedClientSecret
        self.tokenIssuer = tokenIssuer
        self.newerSessionExists = newerSessionExists
        self.leaseStamp = leaseStamp
        self.traceContext = traceContext
    }
}

/// What to claim from the queue: at most `limit` in all, at most `available[clientID]` (or
/// `defaultAvailable`) per RP, RPs taken in turn from `rotation` so none is always first (DEL-7).
public struct ClaimRequest: Sendable, Equatable {
    public var limit: Int
    public var available: [String: Int]
    public var defaultAvailable: Int
    public var rotation: Int
    /// How long the claim holds a delivery before another claim may take it again.
    public var lease: Duration

    public init(limit: Int, available: [String: Int], defaultAvailable: Int, rotation: Int, lease: Duration) {
        self.limit = limit
        self.available = available
        self.defaultAvailable = defaultAvailable
        self.rotation = rotation
        self.lease = lease
    }
}

/// What an attempt tells its RP's circuit breaker.
public struct BreakerInput: Sendable, Equatable {
    public var verdict: DeliveryClassifier.Verdict
    public var policy: CircuitBreaker.Policy

    public init(verdict: DeliveryClassifier.Verdict, policy: CircuitBreaker.Policy) {
        self.verdict = verdict
        self.policy = policy
    }
}

/// The outcome of one attempt, to store with the delivery's new state.
public struct AttemptReport: Sendable, Equatable {
    public var deliveryID: Int64
    /// The delivery's RP and logout event, for metrics and logs.
    public var clientID: String
    public var eventID: Int64
    /// `nil` when the delivery ended without an attempt (skipped).
    public var attempt: AttemptRecord?
    public var transition: DeliveryTransition
    /// For an attempt: what its RP's breaker learns from it.
    public var breaker: BreakerInput?
    /// The lease the attempt was made under: a shared store keeps the outcome only while the
    /// delivery is still under it. `nil`: whatever lease this replica holds.
    public var leaseStamp: LeaseStamp?

    public init(
        deliveryID: Int64,
        clientID: String = "",
        eventID: Int64 = 0,
        attempt: AttemptRecord?,
        transition: DeliveryTransition,
        breaker: BreakerInput? = nil,
        leaseStamp: LeaseStamp? = nil
    ) {
        self.leaseStamp = leaseStamp
        self.deliveryID = deliveryID
        self.clientID = clientID
        self.eventID = eventID
        self.attempt = attempt
        self.transition = transition
        self.breaker = breaker
    }
}
