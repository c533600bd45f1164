import LogoutCore

/// `POST /admin/v1/ssf/receivers`: a Shared Signals receiver that may manage its own streams
/// (contract C7).
public struct ReceiverRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    public var name: String
    /// A registered issuer (name or `iss`) whose RFC 9068 access tokens with `client_id` = the
    /// receiver's OAuth client id may manage this receiver's streams; absent: only the
    /// receiver's own token.
    public var oauthIssuer: String?
    /// The `client_id` the receiver has at that issuer, when it is not `name`.
    public var oauthClientID: String?

    public init(name: String, oauthIssuer: String? = nil, oauthClientID: String? = nil) {
        self.name = name
        self.oauthIssuer = oauthIssuer
        self.oauthClientID = oauthClientID
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name
        case oauthIssuer = "oauth_issuer"
        case oauthClientID = "oauth_client_id"
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
    /// The `client_id` its access tokens must name (its name unless the admin gave another).
    public var oauthClientID: String?

    public init(_ stored: StoredReceiver) {
        name = stored.name
        createdAt = stored.createdAt
        streams = stored.streams
        oauthIssuer = stored.oauthIssuer
        oauthClientID = stored.oauthIssuer == nil ? nil : stored.effectiveClientID
    }

    enum CodingKeys: String, CodingKey {
        case name, streams
        case createdAt = "created_at"
        case oauthIssuer = "oauth_issuer"
        case oauthClientID = "oauth_client_id"
    }
}

public struct ReceiverList: Codable, Sendable, Equatable {
    public var receivers: [ReceiverResource]
    public init(receivers: [ReceiverResource]) { self.receivers = receivers }
}
