import LogoutCore

/// `POST /admin/v1/ssf/receivers`: a Shared Signals receiver that may manage its own streams
/// (contract C7).
public struct ReceiverRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    public var name: String
    /// A registered issuer (name or `iss`) whose RFC 9068 access tokens with `client_id` = `name`
    /// may manage this receiver's streams; absent: only the receiver's own token.
    public var oauthIssuer: String?

    public init(name: String, oauthIssuer: String? = nil) {
        self.name = name
        self.oauthIssuer = oauthIssuer
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case oauthIssuer = "oauth_issuer"
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
    public var oauthIssuer: String?

    public init(_ stored: StoredReceiver) {
        name = stored.name
        createdAt = stored.createdAt
        streams = stored.streams
        oauthIssuer = stored.oauthIssuer
    }

    enum CodingKeys: String, CodingKey {
        case name, streams
        case createdAt = "created_at"
        case oauthIssuer = "oauth_issuer"
    }
}

public struct ReceiverList: Codable, Sendable, Equatable {
    public var receivers: [ReceiverResource]
    public init(receivers: [ReceiverResource]) { self.receivers = receivers }
}
