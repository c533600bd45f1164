import LogoutCore

/// `GET /admin/v1/ssf/streams`: every SSF stream, whichever receiver made it (the admin sees
/// what receivers only see of their own). Never the push credential.
public struct StreamResource: Codable, Sendable, Equatable {
    public var streamID: String
    public var receiver: String
    /// `enabled`, `paused` or `disabled`.
    public var status: String
    public var statusReason: String?
    /// `urn:ietf:rfc:8935` (push) or `urn:ietf:rfc:8936` (poll).
    public var deliveryMethod: String
    public var endpointURL: String
    public var eventsDelivered: [String]
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// A push stream's circuit breaker: `closed`, `open` (its SETs wait for the next probe) or
    /// `probing`.
    public var breaker: String
    /// Its last failure while not closed.
    public var breakerError: String?

    public init(
        streamID: String,
        receiver: String,
        status: String,
        statusReason: String?,
        deliveryMethod: String,
        endpointURL: String,
        eventsDelivered: [String],
        createdAt: Timestamp,
        updatedAt: Timestamp,
        breaker: String = "closed",
        breakerError: String? = nil
    ) {
        self.streamID = streamID
        self.receiver = receiver
        self.status = status
        self.statusReason = statusReason
        self.deliveryMethod = deliveryMethod
        self.endpointURL = endpointURL
        self.eventsDelivered = eventsDelivered
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.breaker = breaker
        self.breakerError = breakerError
    }

    enum CodingKeys: String, CodingKey {
        case receiver, status, breaker
        case breakerError = "breaker_error"
        case streamID = "stream_id"
        case statusReason = "status_reason"
        case deliveryMethod = "delivery_method"
        case endpointURL = "endpoint_url"
        case eventsDelivered = "events_delivered"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }
}

public struct StreamList: Codable, Sendable, Equatable {
    public var streams: [StreamResource]
    public init(streams: [StreamResource]) { self.streams = streams }
}

/// `GET /admin/v1/ssf/streams/{id}/sets`: a stream's SETs, newest first, with what became of
/// each (held, pending, delivered, failed), its push attempts and the receiver's last answer.
/// The claims stay in the store: a SET names a person.
public struct SecurityEventResource: Codable, Sendable, Equatable {
    public var jti: String
    /// The logout it tells of; absent for a verification SET.
    public var eventID: Int64?
    public var status: String
    public var attempts: Int
    public var lastStatusCode: Int?
    public var error: String?
    public var createdAt: Timestamp
    public var finishedAt: Timestamp?

    public init(_ stored: StoredSecurityEvent) {
        jti = stored.jti
        eventID = stored.eventID
        status = stored.status.rawValue
        attempts = stored.attempts
        lastStatusCode = stored.lastStatusCode
        error = stored.error
        createdAt = stored.createdAt
        finishedAt = stored.finishedAt
    }

    enum CodingKeys: String, CodingKey {
        case jti, status, attempts, error
        case eventID = "event_id"
        case lastStatusCode = "last_status_code"
        case createdAt = "created_at"
        case finishedAt = "finished_at"
    }
}

public struct SecurityEventList: Codable, Sendable, Equatable {
    public var streamID: String
    public var sets: [SecurityEventResource]

    public init(streamID: String, sets: [SecurityEventResource]) {
        self.streamID = streamID
        self.sets = sets
    }

    enum CodingKeys: String, CodingKey {
        case sets
        case streamID = "stream_id"
    }
}
