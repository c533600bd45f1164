/// Which upstream token a revocation sends, in the order they are revoked (BR-8): the refresh
/// token first, since revoking it may end its access tokens with it (RFC 7009 §2.1).
public enum RevocationTokenType: String, Sendable, Codable, CaseIterable {
    case refreshToken = "refresh_token"
    case accessToken = "access_token"

    /// The `token_type_hint` of RFC 7009 §2.1, which is also the session's column.
    public var hint: String { rawValue }
}

public enum RevocationStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case retrying
    case revoked
    case failed

    public var isFinal: Bool { self == .revoked || self == .failed }
}

/// A revocation taken from the queue under a lease, with what its attempt needs.
public struct ClaimedRevocation: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    /// The session whose token this is: the sealed token stays bound to it (SEC-6).
    public var sessionID: Int64
    public var issuerName: String
    public var tokenType: RevocationTokenType
    /// The token, still sealed for `sessions.<token_type>` of `sessionID`; `nil` once erased.
    public var sealedToken: [UInt8]?
    /// The issuer's `revocation_endpoint`, read at claim time (an admin may have fixed it).
    public var endpoint: String?
    /// The issuer's `client_id` and sealed `client_secret` (client_secret_basic).
    public var clientID: String?
    public var sealedClientSecret: [UInt8]?
    public var attempts: Int
    public var createdAt: Timestamp
    /// The claim's lease, which the outcome is stored under.
    public var leaseStamp: LeaseStamp?
    /// The logout's trace (TRACE-2), read from its event with the claim.
    public var traceContext: TraceContext?

    public init(
        id: Int64,
        eventID: Int64,
        sessionID: Int64,
        issuerName: String,
        tokenType: RevocationTokenType,
        sealedToken: [UInt8]?,
        endpoint: String?,
        clientID: String?,
        sealedClientSecret: [UInt8]?,
        attempts: Int,
        createdAt: Timestamp,
        leaseStamp: LeaseStamp? = nil,
        traceContext: TraceContext? = nil
    ) {
        self.leaseStamp = leaseStamp
        self.traceContext = traceContext
        self.id = id
        self.eventID = eventID
        self.sessionID = sessionID
        self.issuerName = issuerName
        self.tokenType = tokenType
        self.sealedToken = sealedToken
        self.endpoint = endpoint
        self.clientID = clientID
        self.sealedClientSecret = sealedClientSecret
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

/// What one attempt changes in a revocation (the decision of `RevocationRules`).
public struct RevocationTransition: Sendable, Equatable {
    public var status: RevocationStatus
    public var attempts: Int
    public var nextAttemptAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    /// Why it ended `failed`.
    public var reason: String?
    public var finishedAt: Timestamp?
    /// Whether the stored token is erased with this transition: once revoked it is useless,
    /// and keeping it would only be a risk (BR-8).
    public var eraseToken: Bool { status == .revoked }

    /// The queue's transition, in a revocation's terms: done is `revoked`.
    public init(_ job: JobTransition) {
        let status: RevocationStatus
        switch job.state {
        case .done: status = .revoked
        case .retrying: status = .retrying
        case .failed: status = .failed
        }
        self.init(
            status: status,
            attempts: job.attempts,
            nextAttemptAt: job.nextAttemptAt,
            lastStatusCode: job.lastStatusCode,
            lastError: job.lastError,
            reason: job.reason,
            finishedAt: job.finishedAt
        )
    }

    public init(
        status: RevocationStatus,
        attempts: Int,
        nextAttemptAt: Timestamp? = nil,
        lastStatusCode: Int? = nil,
        lastError: String? = nil,
        reason: String? = nil,
        finishedAt: Timestamp? = nil
    ) {
        self.status = status
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.reason = reason
        self.finishedAt = finishedAt
    }
}

/// One revocation as the admin log shows it. The token itself is never part of it.
public struct RevocationRecord: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var sessionID: Int64
    public var issuerName: String
    /// The RP whose session held the token.
    public var clientID: String
    public var tokenType: RevocationTokenType
    public var status: RevocationStatus
    public var attempts: Int
    public var createdAt: Timestamp
    public var nextAttemptAt: Timestamp?
    public var finishedAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    public var reason: String?
    /// Whether the sealed token is still stored (false once revoked).
    public var tokenStored: Bool

    public init(
        id: Int64,
        eventID: Int64,
        sessionID: Int64,
        issuerName: String,
        clientID: String,
        tokenType: RevocationTokenType,
        status: RevocationStatus,
        attempts: Int,
        createdAt: Timestamp,
        nextAttemptAt: Timestamp?,
        finishedAt: Timestamp?,
        lastStatusCode: Int?,
        lastError: String?,
        reason: String?,
        tokenStored: Bool
    ) {
        self.id = id
        self.eventID = eventID
        self.sessionID = sessionID
        self.issuerName = issuerName
        self.clientID = clientID
        self.tokenType = tokenType
        self.status = status
        self.attempts = attempts
        self.createdAt = createdAt
        self.nextAttemptAt = nextAttemptAt
        self.finishedAt = finishedAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.reason = reason
        self.tokenStored = tokenStored
    }
}

public struct RevocationQuery: Sendable, Equatable {
    public var status: RevocationStatus?
    public var eventID: Int64?
    public var limit: Int

    public init(status: RevocationStatus? = nil, eventID: Int64? = nil, limit: Int = 100) {
        self.status = status
        self.eventID = eventID
        self.limit = limit
    }
}
