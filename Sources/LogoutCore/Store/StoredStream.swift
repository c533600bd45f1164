/// One SSF stream as the store keeps it (SSF §8). The store does not interpret the stream's
/// configuration: the core renders and reads it, so both stores hold the same text and the SSF
/// rules live in one place. The push `authorization_header` is a credential: sealed.
public struct StoredStream: Sendable, Equatable {
    public enum Status: String, Sendable, Equatable, CaseIterable {
        case enabled, paused, disabled
    }

    public var id: String
    /// The receiver that created it; another receiver never sees it.
    public var receiver: String
    /// The receiver-settable members (JSON object text, as the core writes it).
    public var configuration: String
    /// The sealed `authorization_header` of a push stream.
    public var authorization: [UInt8]?
    public var status: Status
    public var statusReason: String?
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    /// A push stream's circuit breaker, as `streams(receiver:)` and `stream(id:)` read it; its
    /// outcomes write it, never an insert or a replace of the stream.
    public var breaker = CircuitBreaker()

    public init(
        id: String,
        receiver: String,
        configuration: String,
        authorization: [UInt8]? = nil,
        status: Status = .enabled,
        statusReason: String? = nil,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.id = id
        self.receiver = receiver
        self.configuration = configuration
        self.authorization = authorization
        self.status = status
        self.statusReason = statusReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}
