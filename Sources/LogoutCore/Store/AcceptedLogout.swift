/// A logout that passed validation (or an admin request), ready to be recorded with its fan-out.
public struct AcceptedLogout: Sendable {
    public var request: LogoutRequest
    public var iss: String?
    /// The token's `jti`, as sent, for the log.
    public var jti: String?
    /// Replay protection (IN-12); `nil` for admin-triggered logouts.
    public var replay: ReplayKey?
    public var tokenHash: String?
    public var clientAddress: String?
    /// Only sessions registered by then end (RES-2): a SET may arrive days after its event (a
    /// paused stream, a transmitter retrying), and must not end the sessions its person opened
    /// since. Nil for a logout token, which is at most minutes old.
    public var sessionsRegisteredBy: Timestamp?
    /// Records nothing at all unless a live session ends (FC-3): an unsigned front-channel
    /// request may not write the log, nor reach RPs that follow every subject, with a `sid` no
    /// session holds; decided in the transaction, so a repeat after the sessions ended is free.
    public var requiresLiveSession: Bool = false
    /// The trace the intake's span belongs to (TRACE-1): kept with the event and each delivery.
    /// Nil when tracing is off.
    public var traceContext: TraceContext?

    public init(
        request: LogoutRequest,
        iss: String?,
        jti: String?,
        replay: ReplayKey?,
        tokenHash: String?,
        clientAddress: String?,
        sessionsRegisteredBy: Timestamp? = nil
    ) {
        self.request = request
        self.iss = iss
        self.jti = jti
        self.replay = replay
        self.tokenHash = tokenHash
        self.clientAddress = clientAddress
        self.sessionsRegisteredBy = sessionsRegisteredBy
    }
}

public struct ReplayKey: Sendable, Equatable {
    public var issuerName: String
    /// The `jti`, or `sha256:` + the signing input's hash for app tokens without one (IN-16).
    public var key: String
    /// SHA-256 of the signing input (header and payload as sent): the same token, however its
    /// signature is encoded, is a retransmission, not a conflict.
    public var tokenHash: String
    public var expiresAt: Timestamp
    /// A repeated logout token is an event of its own (`duplicate`, IN-12): a notifier retrying
    /// is worth seeing. A repeated `id_token_hint` is a double click or the back button, and
    /// records nothing at all (BR-9): no row kept for a month, no planner run.
    public var logsRepeats: Bool

    public init(issuerName: String, key: String, tokenHash: String, expiresAt: Timestamp, logsRepeats: Bool = true) {
        self.issuerName = issuerName
        self.key = key
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
        self.logsRepeats = logsRepeats
    }
}

public enum RecordedLogout: Sendable, Equatable {
    /// Recorded with `deliveries` deliveries, of which those to `skipped` (client ids) were
    /// recorded as skipped at once (RES-3, a disabled RP), and `revocations` upstream tokens
    /// queued for revocation (BR-8).
    case accepted(eventID: Int64, deliveries: Int, skipped: [String], revocations: Int)
    /// The same token was accepted before (event `originalEventID`): nothing new to deliver.
    case duplicate(originalEventID: Int64)
    /// The `jti` was used before by a different token.
    case replayConflict
    /// Nothing written: it had to end a live session and none matched (FC-3).
    case nothingToEnd
}
