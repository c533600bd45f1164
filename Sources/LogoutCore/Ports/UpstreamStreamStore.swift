/// Our streams at registered issuers' transmitters (SSF-5, the receiver role): set by the admin,
/// advanced by whichever replica holds the stream's lease.
public protocol UpstreamStreamStore: Sendable {
    /// Every issuer's upstream stream, by issuer name.
    func upstreamStreams() async throws -> [UpstreamStream]
    func upstreamStream(issuer: String) async throws -> UpstreamStream?
    /// Sets (or with nil removes) an issuer's upstream stream. New settings start over at
    /// `creating` under a new generation (`UpstreamStream.nextGeneration`); the same settings with another token only change
    /// the token. Throws `RegistryError.notFound` for an unknown issuer.
    func configureUpstreamStream(
        issuer: String,
        settings: UpstreamStream.Settings?,
        sealedToken: [UInt8]?,
        now: Timestamp
    ) async throws
    /// Writes the progress fields of `stream` (state, ids, URLs, verification, errors, poll
    /// time) if its generation is still the stored one and `owner` still holds its lease (or
    /// nobody does); false otherwise (the admin changed it, or another replica took it over).
    func recordUpstreamStream(_ stream: UpstreamStream, owner: String, now: Timestamp) async throws -> Bool
    /// Takes or renews the lease on the issuer's stream at `generation` for `owner` until
    /// `until`; false while another owner's lease runs, or when the generation has moved on.
    func leaseUpstreamStream(
        issuer: String,
        generation: Int64,
        owner: String,
        until: Timestamp,
        now: Timestamp
    ) async throws -> Bool
    /// A verification SET echoing the state we asked for arrived on the stream: it is verified.
    /// False when it does not match the stream and state we wait for.
    func markUpstreamStreamVerified(
        issuer: String,
        streamID: String,
        state: String,
        now: Timestamp
    ) async throws
        -> Bool
}
