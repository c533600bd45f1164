import LogoutCore

/// One received logout, as the admin API shows it (ADM-1).
public struct EventResource: Codable, Sendable, Equatable {
    public var id: Int64
    public var receivedAt: Timestamp
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?
    public var tokenHash: String?
    public var outcome: EventRecord.Outcome
    public var reason: String?
    public var deliveries: Int
    public var clientAddress: String?
    public var traceID: String?

    public init(_ event: EventRecord) {
        id = event.id
        receivedAt = event.receivedAt
        source = event.source
        iss = event.iss
        sub = event.sub
        sid = event.sid
        jti = event.jti
        tokenHash = event.tokenHash
        outcome = event.outcome
        reason = event.reason
        deliveries = event.deliveries
        clientAddress = event.clientAddress
        traceID = event.traceID
    }

    enum CodingKeys: String, CodingKey {
        case id, source, iss, sub, sid, jti, outcome, reason, deliveries
        case receivedAt = "received_at"
        case tokenHash = "token_hash"
        case clientAddress = "client_address"
        case traceID = "trace_id"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(receivedAt, forKey: .receivedAt)
        try c.encode(source, forKey: .source)
        try c.encode(iss, forKey: .iss)
        try c.encode(sub, forKey: .sub)
        try c.encode(sid, forKey: .sid)
        try c.encode(jti, forKey: .jti)
        try c.encode(tokenHash, forKey: .tokenHash)
        try c.encode(outcome, forKey: .outcome)
        try c.encode(reason, forKey: .reason)
        try c.encode(deliveries, forKey: .deliveries)
        try c.encode(clientAddress, forKey: .clientAddress)
        try c.encode(traceID, forKey: .traceID)
    }
}

public struct EventList: Codable, Sendable, Equatable {
    public var events: [EventResource]
    public init(events: [EventResource]) { self.events = events }
}
