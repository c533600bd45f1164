/// An SSF receiver the admin registered (contract C7): the streams it creates are its own, and
/// only the hash of its bearer token is kept, so a copy of the store lets no one read them.
public struct StoredReceiver: Sendable, Equatable {
    public var name: String
    /// SHA-256 of the bearer token, hex: what a presented token is looked up by.
    public var tokenHash: String
    public var createdAt: Timestamp
    /// How many streams it has (filled by listings; ignored on insert).
    public var streams: Int
    /// The registered issuer (its name) whose OAuth access tokens may act for this receiver;
    /// nil: only the receiver's own token. Any issuer could mint a token naming any client, so
    /// the admin says which one is this receiver's authorization server.
    public var oauthIssuer: String?
    /// The `client_id` its access tokens carry at that issuer; nil: the receiver's name.
    public var oauthClientID: String?

    public init(
        name: String,
        tokenHash: String,
        createdAt: Timestamp,
        streams: Int = 0,
        oauthIssuer: String? = nil,
        oauthClientID: String? = nil
    ) {
        self.name = name
        self.tokenHash = tokenHash
        self.createdAt = createdAt
        self.streams = streams
        self.oauthIssuer = oauthIssuer
        self.oauthClientID = oauthClientID
    }

    /// The `client_id` an access token for this receiver names.
    public var effectiveClientID: String { oauthClientID ?? name }
}
