import Foundation
import GRDB
import LogoutCore

/// A session to register, with its sealed upstream tokens (kept for browser logout, C6).
public struct NewSession: Sendable {
    public var issuer: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    public var rpSub: String
    public var rpSid: String?
    public var expiresAt: Date?
    public var sealedIDToken: [UInt8]?
    public var sealedAccessToken: [UInt8]?
    public var sealedRefreshToken: [UInt8]?

    public init(
        issuer: String,
        sub: String,
        sid: String?,
        clientID: String,
        rpSub: String,
        rpSid: String?,
        expiresAt: Date?,
        sealedIDToken: [UInt8]? = nil,
        sealedAccessToken: [UInt8]? = nil,
        sealedRefreshToken: [UInt8]? = nil
    ) {
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.rpSub = rpSub
        self.rpSid = rpSid
        self.expiresAt = expiresAt
        self.sealedIDToken = sealedIDToken
        self.sealedAccessToken = sealedAccessToken
        self.sealedRefreshToken = sealedRefreshToken
    }
}

public struct SessionFilter: Sendable {
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

    static let columns = "id, issuer, sub, sid, client_id, rp_sub, rp_sid, created_at, expires_at, ended_at"
}
