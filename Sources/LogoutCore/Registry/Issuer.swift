/// A registered issuer, as shown to admins: its secrets are only flagged, never carried.
public struct Issuer: Sendable, Equatable {
    public enum KeySource: Sendable, Equatable {
        case jwksURI(String)
        /// An inline JWKS document, kept as the JSON text it was registered with.
        case jwks(String)
        case sharedSecret
    }

    public var name: String
    public var issuer: String
    public var audience: String
    public var keySource: KeySource
    public var algorithms: [JWSAlgorithm]
    public var typPolicy: TypPolicy
    public var requireExp: Bool
    public var endSessionEndpoint: String?
    public var revocationEndpoint: String?
    public var clientID: String?
    public var hasClientSecret: Bool
    /// Its OP's front-channel logout requests end sessions here (`/frontchannel-logout/{name}`):
    /// off unless an admin turns it on, because such a request carries no signature.
    public var frontchannelIntake: Bool
    public var createdAt: Timestamp

    public init(
        name: String,
        issuer: String,
        audience: String,
        keySource: KeySource,
        algorithms: [JWSAlgorithm],
        typPolicy: TypPolicy = .default,
        requireExp: Bool = true,
        endSessionEndpoint: String? = nil,
        revocationEndpoint: String? = nil,
        clientID: String? = nil,
        hasClientSecret: Bool = false,
        frontchannelIntake: Bool = false,
        createdAt: Timestamp
    ) {
        self.name = name
        self.issuer = issuer
        self.audience = audience
        self.keySource = keySource
        self.algorithms = algorithms
        self.typPolicy = typPolicy
        self.requireExp = requireExp
        self.endSessionEndpoint = endSessionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.clientID = clientID
        self.hasClientSecret = hasClientSecret
        self.frontchannelIntake = frontchannelIntake
        self.createdAt = createdAt
    }

    public var trust: IssuerPolicy.Trust {
        if case .sharedSecret = keySource { return .sharedSecret }
        return .keys
    }

    public func policy(
        maximumTokenAge: Duration = IssuerPolicy.defaultMaximumTokenAge,
        clockSkew: Duration = IssuerPolicy.defaultClockSkew
    ) -> IssuerPolicy {
        IssuerPolicy(
            name: name,
            issuer: issuer,
            audience: audience,
            algorithms: Set(algorithms),
            typPolicy: typPolicy,
            requireExp: requireExp,
            trust: trust,
            maximumTokenAge: maximumTokenAge,
            clockSkew: clockSkew
        )
    }
}
