/// One delivery of one logout to one RP, as the log shows it.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var clientID: String
    /// RP-facing ids.
    public var sub: String?
    public var sid: String?
    public var status: DeliveryStatus
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp?
    public var deliveredAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var reason: String?
    /// When the attempt now running began; `nil` unless one runs.
    public var inFlightSince: Timestamp?

    public init(
        id: Int64,
        eventID: Int64,
        clientID: String,
        sub: String?,
        sid: String?,
        status: DeliveryStatus,
        attempts: Int,
        createdAt: Timestamp,
        nextAttemptAt: Timestamp?,
        deliveredAt: Timestamp?,
        lastStatusCode: Int?,
        lastError: String?,
        reason: String?,
        inFlightSince: Timestamp? = nil
    ) {
        self.id = id
        self.eventID = eventID
        self.clientID = clientID
        self.sub = sub
        self.sid = sid
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.deliveredAt = deliveredAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.reason = reason
        self.inFlightSince = inFlightSince
    }
}

/// One attempt of a delivery (rulebook ADM-2).
public struct AttemptRecord: Sendable, Equatable {
    public var deliveryID: Int64
    public var attempt: Int
    public var startedAt: Timestamp
    public var duration: Duration
    public var statusCode: Int?
    public var errorClass: ErrorClass?
    /// The `jti` of the token minted for this attempt.
    public var jti: String
    public var rpError: String?
    public var nextAttemptAt: Timestamp?
    /// The RP's address that answered, when one did.
    public var remoteAddress: String?
    /// The trace the attempt's span belongs to (TRACE-3), for finding it in a tracing UI.
    public var traceID: String?

    public init(
        deliveryID: Int64,
        attempt: Int,
        startedAt: Timestamp,
        duration: Duration,
        statusCode: Int?,
        errorClass: ErrorClass?,
        jti: String,
        rpError: String?,
        nextAttemptAt: Timestamp?,
        remoteAddress: String? = nil,
        traceID: String? = nil
    ) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.startedAt = startedAt
        self.duration = duration
        self.statusCode = statusCode
        self.errorClass = errorClass
        self.jti = jti
        self.rpError = rpError
        self.nextAttemptAt = nextAttemptAt
        self.remoteAddress = remoteAddress
        self.traceID = traceID
    }
}
