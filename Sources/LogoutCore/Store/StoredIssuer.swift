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

/// A relying party as storage keeps it: the RP plus its sealed HS256 client secret, and the
/// state of its circuit breaker (read only: deliveries change it).
public struct StoredRelyingParty: Sendable, Equatable {
    public var relyingParty: RelyingParty
    public var sealedClientSecret: [UInt8]?
    public var breaker: CircuitBreaker

    public init(relyingParty: RelyingParty, sealedClientSecret: [UInt8]? = nil, breaker: CircuitBreaker = .init()) {
        self.relyingParty = relyingParty
        self.sealedClientSecret = sealedClientSecret
        self.breaker = breaker
    }
}
