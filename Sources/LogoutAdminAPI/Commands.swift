import LogoutCore

/// `POST /admin/v1/deliveries/recover`: every failed delivery of an RP since a time, again.
public struct RecoveryRequest: AdminRequestBody, Codable, Sendable, Equatable {
    public var clientID: String
    public var since: Timestamp?

    public init(clientID: String, since: Timestamp? = nil) {
        self.clientID = clientID
        self.since = since
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case since
        case clientID = "client_id"
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the recovery"
}

/// `202 {"queued": n}`.
public struct QueuedCount: Codable, Sendable, Equatable {
    public var queued: Int
    public init(queued: Int) { self.queued = queued }
}

/// `POST /admin/v1/logout`: an admin-triggered logout, fanned out like an inbound token.
public struct LogoutCommand: AdminRequestBody, Codable, Sendable, Equatable {
    /// A registered issuer's name or `iss`.
    public var issuer: String
    public var sub: String?
    public var sid: String?

    public init(issuer: String, sub: String? = nil, sid: String? = nil) {
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case issuer, sub, sid
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the logout"
}

/// `202 {"event_id": …}`.
public struct LogoutRecorded: Codable, Sendable, Equatable {
    public var eventID: Int64
    public init(eventID: Int64) { self.eventID = eventID }

    enum CodingKeys: String, CodingKey {
        case eventID = "event_id"
    }
}
