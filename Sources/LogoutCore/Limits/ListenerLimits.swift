/// What one listener allows a client (SEC-4): slow or idle clients are cut off, request heads
/// are capped, and the number of connections is capped so that they cannot exhaust file
/// descriptors. Values only, read from the configuration; the HTTP listener applies them.
public struct ListenerLimits: Sendable, Equatable {
    public var maxConnections: Int
    /// From the connection (or the previous answer) until the request head is complete.
    public var headerTimeout: Duration
    /// From the request head until its body is complete.
    public var bodyTimeout: Duration
    /// A kept-alive connection with no request is closed after this.
    public var idleTimeout: Duration
    /// The request head (request line and header fields) at most.
    public var maxHeaderBytes: Int

    public init(
        maxConnections: Int,
        headerTimeout: Duration,
        bodyTimeout: Duration,
        idleTimeout: Duration,
        maxHeaderBytes: Int
    ) {
        self.maxConnections = maxConnections
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxHeaderBytes = maxHeaderBytes
    }

    public static let publicDefaults = ListenerLimits(
        maxConnections: 4096,
        headerTimeout: .seconds(10),
        bodyTimeout: .seconds(10),
        idleTimeout: .seconds(60),
        maxHeaderBytes: 16 * 1024
    )
    public static let adminDefaults = ListenerLimits(
        maxConnections: 256,
        headerTimeout: .seconds(10),
        bodyTimeout: .seconds(30),
        idleTimeout: .seconds(60),
        maxHeaderBytes: 16 * 1024
    )
}
