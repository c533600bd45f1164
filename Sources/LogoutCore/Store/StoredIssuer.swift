/// An issuer as storage keeps it: the admin-visible issuer plus its sealed secrets.
public struct StoredIssuer: Sendable, Equatable {
    public var issuer: Issuer
    /// Sealed by the service's secret box, bound to this row; storage never sees them in clear.
    public var sealedSharedSecret: [UInt8]?
    public var sealedClientSecret: [UInt8]?

    public init(issuer: Issuer, sealedSharedSecret: [UInt8]? = nil, sealedClientSecret: [UInt8]? = nil) {
        self.issuer = issuer
        self.sealedSharedSecret = sealedSharedSecret
        self.sealedClientSecret = sealedClientSecret
    }
}

/// A relying party as storage keeps it: the RP plus its sealed HS256 client secret.
public struct StoredRelyingParty: Sendable, Equatable {
    public var relyingParty: RelyingParty
    public var sealedClientSecret: [UInt8]?

    public init(relyingParty: RelyingParty, sealedClientSecret: [UInt8]? = nil) {
        self.relyingParty = relyingParty
        self.sealedClientSecret = sealedClientSecret
    }
}
