/// A SET made for a stream, as the store keeps it: claims, never a signed token (the signature
/// is made when it is sent; RS256 signs the same claims alike, so a SET polled twice is the same).
public struct StoredSecurityEvent: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        /// The stream is paused: kept until it is enabled.
        case held
        /// Waiting to be polled (or pushed).
        case pending
        /// Acknowledged by the receiver (or accepted by its push endpoint).
        case delivered
        /// Refused by the receiver, or dropped with its disabled stream.
        case failed
    }

    public var id: Int64
    public var streamID: String
    /// The logout it tells of; nil for a verification SET.
    public var eventID: Int64?
    public var jti: String
    /// The claims' JSON text.
    public var claims: String
    public var status: Status
    public var createdAt: Timestamp
    public var error: String?
    /// Push attempts made (a poll stream's SETs are never attempted).
    public var attempts: Int
    /// The receiver's answer to the last push.
    public var lastStatusCode: Int?
    /// When it was delivered, refused or dropped.
    public var finishedAt: Timestamp?

    public init(
        id: Int64,
        streamID: String,
        eventID: Int64?,
        jti: String,
        claims: String,
        status: Status,
        createdAt: Timestamp,
        error: String? = nil,
        attempts: Int = 0,
        lastStatusCode: Int? = nil,
        finishedAt: Timestamp? = nil
    ) {
        self.id = id
        self.streamID = streamID
        self.eventID = eventID
        self.jti = jti
        self.claims = claims
        self.status = status
        self.createdAt = createdAt
        self.error = error
        self.attempts = attempts
        self.lastStatusCode = lastStatusCode
        self.finishedAt = finishedAt
    }
}

/// A SET to store: made by `SecurityEventFanOut` (a logout) or for a verification request.
public struct NewSecurityEvent: Sendable, Equatable {
    public var streamID: String
    public var eventID: Int64?
    public var jti: String
    public var claims: String
    public var held: Bool

    public init(streamID: String, eventID: Int64?, jti: String, claims: String, held: Bool) {
        self.streamID = streamID
        self.eventID = eventID
        self.jti = jti
        self.claims = claims
        self.held = held
    }
}

/// The logouts a fan-out pass reads: accepted ones, with what SETs need.
public struct FannedOutLogout: Sendable, Equatable {
    public var eventID: Int64
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var receivedAt: Timestamp

    public init(eventID: Int64, source: String, iss: String?, sub: String?, sid: String?, receivedAt: Timestamp) {
        self.eventID = eventID
        self.source = source
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.receivedAt = receivedAt
    }
}
