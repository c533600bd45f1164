/// The upstream tokens of a session, sealed for its row (kept for browser logout, C6).
public struct SealedSessionTokens: Sendable, Equatable {
    public var idToken: [UInt8]?
    public var accessToken: [UInt8]?
    public var refreshToken: [UInt8]?

    public init(idToken: [UInt8]? = nil, accessToken: [UInt8]? = nil, refreshToken: [UInt8]? = nil) {
        self.idToken = idToken
        self.accessToken = accessToken
        self.refreshToken = refreshToken
    }
}

/// A session to register.
public struct NewSession: Sendable {
    /// The registered issuer's name.
    public var issuerName: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    public var rpSub: String
    public var rpSid: String?
    public var expiresAt: Timestamp?
    /// Seals the session's upstream tokens once its row id is known: sealed values are bound to
    /// their row (SEC-6), and storage never holds them in clear.
    public var sealTokens: (@Sendable (_ sessionID: Int64) throws -> SealedSessionTokens)?

    public init(
        issuerName: String,
        sub: String,
        sid: String?,
        clientID: String,
        rpSub: String,
        rpSid: String?,
        expiresAt: Timestamp?,
        sealTokens: (@Sendable (_ sessionID: Int64) throws -> SealedSessionTokens)? = nil
    ) {
        self.issuerName = issuerName
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.rpSub = rpSub
        self.rpSid = rpSid
        self.expiresAt = expiresAt
        self.sealTokens = sealTokens
    }
}
