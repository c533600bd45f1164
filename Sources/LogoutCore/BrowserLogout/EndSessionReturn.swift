/// Where the browser goes once the upstream IdP's end-session sends it back to our callback
/// (BR-6): single use, short-lived, found by a hash of the `state` we sent upstream.
public struct EndSessionReturn: Sendable, Equatable {
    public var stateHash: String
    /// The RP's registered URI with its `state`, or `nil` for the signed-out page.
    public var returnTo: String?
    public var language: PageLanguage
    public var expiresAt: Timestamp

    public init(stateHash: String, returnTo: String?, language: PageLanguage, expiresAt: Timestamp) {
        self.stateHash = stateHash
        self.returnTo = returnTo
        self.language = language
        self.expiresAt = expiresAt
    }
}
