import LogoutCore

/// One upstream token revocation (BR-8). The token itself is never part of it.
public struct RevocationResource: Codable, Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var sessionID: Int64
    public var issuer: String
    public var clientID: String
    public var tokenTypeHint: RevocationTokenType
    public var status: RevocationStatus
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp?
    public var finishedAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var reason: String?
    /// Whether the sealed token is still kept (it is erased once revoked).
    public var tokenStored: Bool

    public init(_ record: RevocationRecord) {
        id = record.id
        eventID = record.eventID
        sessionID = record.sessionID
        issuer = record.issuerName
        clientID = record.clientID
        tokenTypeHint = record.tokenType
        status = record.status
        attempts = record.attempts
        createdAt = record.createdAt
        nextAttemptAt = record.nextAttemptAt
        finishedAt = record.finishedAt
        lastStatusCode = record.lastStatusCode
        lastError = record.lastError
        reason = record.reason
        tokenStored = record.tokenStored
    }

    enum CodingKeys: String, CodingKey {
        case id, issuer, status, attempts, reason
        case eventID = "event_id"
        case sessionID = "session_id"
        case clientID = "client_id"
        case tokenTypeHint = "token_type_hint"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case finishedAt = "finished_at"
        case lastStatusCode = "last_status_code"
        case lastError = "last_error"
        case tokenStored = "token_stored"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(id, forKey: .id)
        try c.encode(eventID, forKey: .eventID)
        try c.encode(sessionID, forKey: .sessionID)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(tokenTypeHint, forKey: .tokenTypeHint)
        try c.encode(status, forKey: .status)
        try c.encode(attempts, forKey: .attempts)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(nextAttemptAt, forKey: .nextAttemptAt)
        try c.encode(finishedAt, forKey: .finishedAt)
        try c.encode(lastStatusCode, forKey: .lastStatusCode)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(reason, forKey: .reason)
        try c.encode(tokenStored, forKey: .tokenStored)
    }
}

public struct RevocationList: Codable, Sendable, Equatable {
    public var revocations: [RevocationResource]
    public init(revocations: [RevocationResource]) { self.revocations = revocations }
}
