/// A SET that passed every rule of SSF-5, reduced to what the receiver acts on.
public struct ReceivedSET: Sendable, Equatable {
    public var issuer: String
    public var jti: String
    public var txn: String?
    public var issuedAt: Timestamp
    /// `sub_id` when its format is one we know; nil for the formats of events we do not act on.
    public var subject: SubjectIdentifier?
    public var event: ReceivedEvent

    public init(
        issuer: String,
        jti: String,
        txn: String?,
        issuedAt: Timestamp,
        subject: SubjectIdentifier?,
        event: ReceivedEvent
    ) {
        self.issuer = issuer
        self.jti = jti
        self.txn = txn
        self.issuedAt = issuedAt
        self.subject = subject
        self.event = event
    }
}

/// The one event of a received SET, and what it asks of us.
public enum ReceivedEvent: Sendable, Equatable {
    /// CAEP session-revoked naming sessions of ours: end them as a logout token would (SSF-5).
    case sessionRevoked(SessionRevocation)
    /// SSF verification (SSF §8.1.4.1): acknowledge; the caller compares `state` with the one it
    /// asked for and answers `invalid_state` when they differ.
    case verification(streamID: String, state: String?)
    /// SSF stream-updated (SSF §8.1.5): the upstream stream's new status, for the issuer's view.
    case streamUpdated(streamID: String, status: StreamStatus)
    /// Accepted and logged, never acted on: another event type, or a session-revoked whose
    /// subject we cannot map to sessions (an email, another issuer's user). `reason` says which.
    case notActedOn(type: SSFEventType, reason: String)
}

/// The sessions a session-revoked event ends, in the terms of a logout token: `sub` and/or `sid`
/// at the issuer that sent it.
public struct SessionRevocation: Sendable, Equatable {
    public var sub: String?
    public var sid: String?
    public var eventTime: Timestamp?
    /// `reason_admin`, English if given, else any language; printable and bounded.
    public var reasonAdmin: String?
    public var initiatingEntity: SecurityEventClaims.InitiatingEntity?

    public init(
        sub: String?,
        sid: String?,
        eventTime: Timestamp? = nil,
        reasonAdmin: String? = nil,
        initiatingEntity: SecurityEventClaims.InitiatingEntity? = nil
    ) {
        self.sub = sub
        self.sid = sid
        self.eventTime = eventTime
        self.reasonAdmin = reasonAdmin
        self.initiatingEntity = initiatingEntity
    }

    /// The same sessions as a logout token with this `sub` and `sid` would end (RES-2).
    public func logoutClaims(issuer: String, jti: String) -> LogoutClaims {
        LogoutClaims(iss: issuer, sub: sub, sid: sid, jti: jti)
    }
}
