/// A JWKS document fetched from an issuer's `jwks_uri`.
public struct FetchedJWKS: Sendable {
    public var bytes: [UInt8]
    /// `Cache-Control: max-age` in seconds, when the issuer sent one.
    public var maxAge: Double?

    public init(bytes: [UInt8], maxAge: Double?) {
        self.bytes = bytes
        self.maxAge = maxAge
    }
}

/// Fetches issuer key sets: implemented by the outbound HTTP adapter, used by the key cache.
public protocol JWKSFetching: Sendable {
    func fetchJWKS(from uri: String) async throws -> FetchedJWKS
}
