import LogoutCore

/// One delivery of one logout to one RP; `attempt_log` only on `GET /deliveries/{id}`.
public struct DeliveryResource: Codable, Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var clientID: String
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
    /// When the attempt now running began, and its number; `null` unless one runs.
    public var inFlightSince: Timestamp?
    public var inFlightAttempt: Int?
    public var attemptLog: [AttemptResource]?

    public init(_ delivery: DeliveryRecord, attempts: [AttemptRecord]? = nil) {
        id = delivery.id
        eventID = delivery.eventID
        clientID = delivery.clientID
        sub = delivery.sub
        sid = delivery.sid
        status = delivery.status
        self.attempts = delivery.attempts
        createdAt = delivery.createdAt
        nextAttemptAt = delivery.nextAttemptAt
        deliveredAt = delivery.deliveredAt
        lastStatusCode = delivery.lastStatusCode
        lastError = delivery.lastError
        reason = delivery.reason
        inFlightSince = delivery.inFlightSince
        inFlightAttempt = delivery.inFlightSince.map { _ in delivery.attempts + 1 }
        attemptLog = attempts.map { $0.map(AttemptResource.init) }
    }

    enum CodingKeys: String, CodingKey {
        case id, sub, sid, status, attempts, reason
        case eventID = "event_id"
        case clientID = "client_id"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case deliveredAt = "delivered_at"
        case lastStatusCode = "last_status_code"
        case lastError = "last_error"
        case attemptLog = "attempt_log"
        case inFlightSince = "in_flight_since"
        case inFlightAttempt = "in_flight_attempt"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(sub, forKey: .sub)
        try c.encode(sid, forKey: .sid)
        try c.encode(status, forKey: .status)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(deliveredAt, forKey: .deliveredAt)
        try c.encode(lastStatusCode, forKey: .lastStatusCode)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(reason, forKey: .reason)
        try c.encode(inFlightSince, forKey: .inFlightSince)
        try c.encode(inFlightAttempt, forKey: .inFlightAttempt)
        try c.encodeIfPresent(attemptLog, forKey: .attemptLog)
    }
}

/// One attempt of a delivery (ADM-2).
public struct AttemptResource: Codable, Sendable, Equatable {
    public var attempt: Int
    public var startedAt: Timestamp
    public var durationMilliseconds: Int64
    public var statusCode: Int?
    public var errorClass: ErrorClass?
    public var jti: String
    public var rpError: String?
    public var nextAttemptAt: Timestamp?
    /// The RP's address that answered.
    public var remoteAddress: String?
    /// The trace of the attempt's span, when tracing was on.
    public var traceID: String?

    public init(_ attempt: AttemptRecord) {
        self.attempt = attempt.attempt
        startedAt = attempt.startedAt
        durationMilliseconds = attempt.duration.wholeMilliseconds
        statusCode = attempt.statusCode
        errorClass = attempt.errorClass
        jti = attempt.jti
        rpError = attempt.rpError
        nextAttemptAt = attempt.nextAttemptAt
        remoteAddress = attempt.remoteAddress
        traceID = attempt.traceID
    }

    enum CodingKeys: String, CodingKey {
        case attempt, jti
        case startedAt = "started_at"
        case durationMilliseconds = "duration_ms"
        case statusCode = "status_code"
        case errorClass = "error_class"
        case rpError = "rp_error"
        case nextAttemptAt = "next_attempt_at"
        case remoteAddress = "remote_address"
        case traceID = "trace_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(attempt, forKey: .attempt)
        try c.encode(startedAt, forKey: .startedAt)
        try c.encode(durationMilliseconds, forKey: .durationMilliseconds)
        try c.encode(statusCode, forKey: .statusCode)
        try c.encode(errorClass, forKey: .errorClass)
        try c.encode(jti, forKey: .jti)
        try c.encode(rpError, forKey: .rpError)
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(remoteAddress, forKey: .remoteAddress)
        try c.encode(traceID, forKey: .traceID)
    }
}

public struct DeliveryList: Codable, Sendable, Equatable {
    public var deliveries: [DeliveryResource]
    public init(deliveries: [DeliveryResource]) { self.deliveries = deliveries }
}
