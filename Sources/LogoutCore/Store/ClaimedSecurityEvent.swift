/// A SET of a push stream taken from the queue under a lease, with what its push needs: the
/// stream's configuration and sealed credential are read at claim time, so a receiver that fixes
/// its endpoint or token by updating the stream is tried with the fix (SSF-4).
public struct ClaimedSecurityEvent: Sendable, Equatable {
    public var id: Int64
    public var streamID: String
    /// The stream's receiver: what the journal and the metrics name (stream ids come and go).
    public var receiver: String
    public var jti: String
    /// The claims' JSON text; signed when pushed.
    public var claims: String
    /// The stream's configuration text (`StreamConfiguration(storedText:)`).
    public var configuration: String
    /// The stream's sealed `authorization_header`, bound to the stream.
    public var sealedAuthorization: [UInt8]?
    public var attempts: Int
    /// Where the retry window starts: the SET's creation, or the stream's last change when that
    /// is later. A SET held while its stream was paused, or failing until the receiver fixed its
    /// endpoint, gets a whole window once the stream is enabled or changed.
    public var createdAt: Timestamp
    /// The claim's lease, which the outcome is stored under.
    public var leaseStamp: LeaseStamp?
    /// The trace of the logout the SET tells of (TRACE-2), when one made it.
    public var traceContext: TraceContext?

    public init(
        id: Int64,
        streamID: String,
        receiver: String,
        jti: String,
        claims: String,
        configuration: String,
        sealedAuthorization: [UInt8]?,
        attempts: Int,
        createdAt: Timestamp,
        leaseStamp: LeaseStamp? = nil,
        traceContext: TraceContext? = nil
    ) {
        self.leaseStamp = leaseStamp
        self.traceContext = traceContext
        self.id = id
        self.streamID = streamID
        self.receiver = receiver
        self.jti = jti
        self.claims = claims
        self.configuration = configuration
        self.sealedAuthorization = sealedAuthorization
        self.attempts = attempts
        self.createdAt = createdAt
    }
}

extension ClaimedSecurityEvent: QueueJob {
    /// A stream's pushes share its caps and slow start: one receiver endpoint per stream.
    public var target: String { streamID }
}
