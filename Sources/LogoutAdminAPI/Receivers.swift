import LogoutCore

/// `POST /admin/v1/ssf/receivers`: a Shared Signals receiver that may manage its own streams
/// (contract C7).
public struct ReceiverRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    public var name: String

    public init(name: String) { self.name = name }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the SSF receiver"
}

/// `201 {"name","token"}`: the bearer token is shown this once; only its hash is kept.
public struct ReceiverCreated: Codable, Sendable, Equatable {
    public var name: String
    public var token: String

    public init(name: String, token: String) {
        self.name = name
        self.token = token
    }
}

public struct ReceiverResource: Codable, Sendable, Equatable {
    public var name: String
    public var createdAt: Timestamp
    /// How many streams it created.
    public var streams: Int

    public init(_ stored: StoredReceiver) {
        name = stored.name
        createdAt = stored.createdAt
        streams = stored.streams
    }

    enum CodingKeys: String, CodingKey {
        case name, streams
        case createdAt = "created_at"
    }
}

public struct ReceiverList: Codable, Sendable, Equatable {
    public var receivers: [ReceiverResource]
    public init(receivers: [ReceiverResource]) { self.receivers = receivers }
}
