import LogoutCore

/// `POST /admin/v1/sessions`: one login of a subject at one RP (RES-1).
public struct SessionRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    /// A registered issuer's `iss` (or name): the session belongs to that registration.
    public var issuer: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    public var rpSub: String?
    /// Absent: the default of RES-3; `null`: the RP knows no sid.
    public var rpSid: Nullable<String>
    public var expiresAt: Timestamp?
    public var idToken: String?
    public var accessToken: String?
    public var refreshToken: String?

    public init(
        issuer: String,
        sub: String,
        sid: String? = nil,
        clientID: String,
        rpSub: String? = nil,
        rpSid: Nullable<String> = .absent,
        expiresAt: Timestamp? = nil
    ) {
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.rpSub = rpSub
        self.rpSid = rpSid
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case issuer, sub, sid
        case clientID = "client_id"
        case rpSub = "rp_sub"
        case rpSid = "rp_sid"
        case expiresAt = "expires_at"
        case idToken = "id_token"
        case accessToken = "access_token"
        case refreshToken = "refresh_token"
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the session"

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try c.decode(String.self, forKey: .issuer)
        sub = try c.decode(String.self, forKey: .sub)
        sid = try c.decodeIfPresent(String.self, forKey: .sid)
        clientID = try c.decode(String.self, forKey: .clientID)
        rpSub = try c.decodeIfPresent(String.self, forKey: .rpSub)
        rpSid = try c.decodeNullable(String.self, forKey: .rpSid)
        expiresAt = try c.decodeIfPresent(Timestamp.self, forKey: .expiresAt)
        idToken = try c.decodeIfPresent(String.self, forKey: .idToken)
        accessToken = try c.decodeIfPresent(String.self, forKey: .accessToken)
        refreshToken = try c.decodeIfPresent(String.self, forKey: .refreshToken)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(sub, forKey: .sub)
        try c.encodeIfPresent(sid, forKey: .sid)
        try c.encode(clientID, forKey: .clientID)
        try c.encodeIfPresent(rpSub, forKey: .rpSub)
        try c.encodeNullable(rpSid, forKey: .rpSid)
        try c.encodeIfPresent(expiresAt, forKey: .expiresAt)
        try c.encodeIfPresent(idToken, forKey: .idToken)
        try c.encodeIfPresent(accessToken, forKey: .accessToken)
        try c.encodeIfPresent(refreshToken, forKey: .refreshToken)
    }
}

/// A session as the admin API shows it; its upstream tokens are never returned.
public struct SessionResource: Codable, Sendable, Equatable {
    public var id: Int64
    public var issuer: String
    public var issuerName: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    public var rpSub: String
    public var rpSid: String?
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var endedAt: Timestamp?

    public init(_ session: Session) {
        id = session.id
        issuer = session.issuer
        issuerName = session.issuerName
        sub = session.sub
        sid = session.sid
        clientID = session.clientID
        rpSub = session.rpSub
        rpSid = session.rpSid
        createdAt = session.createdAt
        expiresAt = session.expiresAt
        endedAt = session.endedAt
    }

    enum CodingKeys: String, CodingKey {
        case id, issuer, sub, sid
        case issuerName = "issuer_name"
        case clientID = "client_id"
        case rpSub = "rp_sub"
        case rpSid = "rp_sid"
        case createdAt = "created_at"
        case expiresAt = "expires_at"
        case endedAt = "ended_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(issuerName, forKey: .issuerName)
        try c.encode(sub, forKey: .sub)
        try c.encode(sid, forKey: .sid)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(rpSub, forKey: .rpSub)
        try c.encode(rpSid, forKey: .rpSid)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(expiresAt, forKey: .expiresAt)
        try c.encode(endedAt, forKey: .endedAt)
    }
}

public struct SessionList: Codable, Sendable, Equatable {
    public var sessions: [SessionResource]
    public init(sessions: [SessionResource]) { self.sessions = sessions }
}
