import Foundation
import GRDB
import LogoutCore

/// The upstream tokens of a session, sealed for its row (kept for browser logout, C6).
public struct SealedSessionTokens: Sendable {
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
    public var expiresAt: Date?
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
        expiresAt: Date?,
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

public struct SessionFilter: Sendable {
    /// The issuer's name or its `iss`.
    public var issuer: String?
    public var sub: String?
    public var clientID: String?
    public var includeEnded: Bool
    public var limit: Int

    public init(
        issuer: String? = nil,
        sub: String? = nil,
        clientID: String? = nil,
        includeEnded: Bool = false,
        limit: Int = 100
    ) {
        self.issuer = issuer
        self.sub = sub
        self.clientID = clientID
        self.includeEnded = includeEnded
        self.limit = limit
    }
}

extension Session {
    init(row: Row) {
        self.init(
            id: row["id"],
            issuerName: row["issuer_name"],
            issuer: row["issuer"],
            sub: row["sub"],
            sid: row["sid"],
            clientID: row["client_id"],
            rpSub: row["rp_sub"],
            rpSid: row["rp_sid"],
            createdAt: Date(milliseconds: row["created_at"]),
            expiresAt: (row["expires_at"] as Int64?).date,
            endedAt: (row["ended_at"] as Int64?).date
        )
    }

    /// Selects sessions with their issuer's `iss`: `FROM sessions s JOIN issuers i` must follow.
    static let select = """
        SELECT s.id, s.issuer_name, i.issuer, s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at,
            s.expires_at, s.ended_at
        FROM sessions s JOIN issuers i ON i.name = s.issuer_name
        """
}
