/// One login of a subject at one RP, as the registry maps it (RES-1).
public struct Session: Sendable, Equatable {
    public var id: Int64
    /// The registered issuer the session belongs to (SEC-5): its name is the key.
    public var issuerName: String
    /// That issuer's `iss`, for display.
    public var issuer: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    /// The subject and session ids as the RP knows them (pairwise subjects, per-RP session ids).
    public var rpSub: String
    public var rpSid: String?
    public var createdAt: Timestamp
    public var expiresAt: Timestamp?
    public var endedAt: Timestamp?

    public init(
        id: Int64,
        issuerName: String,
        issuer: String,
        sub: String,
        sid: String?,
        clientID: String,
        rpSub: String,
        rpSid: String?,
        createdAt: Timestamp,
        expiresAt: Timestamp?,
        endedAt: Timestamp? = nil
    ) {
        self.id = id
        self.issuerName = issuerName
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.rpSub = rpSub
        self.rpSid = rpSid
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.endedAt = endedAt
    }
}
