/// An SSF receiver the admin registered (contract C7): the streams it creates are its own, and
/// only the hash of its bearer token is kept, so a copy of the store lets no one read them.
public struct StoredReceiver: Sendable, Equatable {
    public var name: String
    /// SHA-256 of the bearer token, hex: what a presented token is looked up by.
    public var tokenHash: String
    public var createdAt: Timestamp
    /// How many streams it has (filled by listings; ignored on insert).
    public var streams: Int

    public init(name: String, tokenHash: String, createdAt: Timestamp, streams: Int = 0) {
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.streams = streams
    }
}
