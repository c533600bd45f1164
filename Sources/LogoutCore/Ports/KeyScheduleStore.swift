/// When each of our signing keys was published and signs from (OUT-4). In the store, not in
/// the key files, so the schedule survives restarts and covers keys that arrive as credentials.
public protocol KeyScheduleStore: Sendable {
    func scheduledKeys() async throws -> [SigningKeyRecord]
    /// Inserts keys not known yet; a known key keeps its times (only its file name follows).
    func recordSigningKeys(_ keys: [SigningKeyRecord]) async throws
    /// Moves when a key signs from: `keys rotate --now` promoting a key already published.
    func setSignsFrom(keyID: String, to signsFrom: Timestamp) async throws
}

/// One of our signing keys as the store remembers it.
public struct SigningKeyRecord: Sendable, Equatable {
    public var keyID: String
    public var algorithm: String
    public var file: String
    public var createdAt: Timestamp
    /// First seen by logoutd, hence first published at our `jwks_uri`.
    public var publishedAt: Timestamp
    public var signsFrom: Timestamp

    public init(
        keyID: String,
        algorithm: String,
        file: String,
        createdAt: Timestamp,
        publishedAt: Timestamp,
        signsFrom: Timestamp
    ) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.file = file
        self.createdAt = createdAt
        self.publishedAt = publishedAt
        self.signsFrom = signsFrom
    }
}
