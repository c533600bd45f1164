import LogoutCore

/// `POST /admin/v1/issuers`: who may notify us, and how their tokens are proven.
public struct IssuerRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    public var name: String
    public var issuer: String
    public var audience: String
    public var jwksURI: String?
    public var jwks: JSONValue?
    public var sharedSecret: String?
    public var algorithms: [String]?
    public var typPolicy: TypPolicy?
    public var requireExp: Bool?
    public var endSessionEndpoint: String?
    public var revocationEndpoint: String?
    public var clientID: String?
    public var clientSecret: String?
    /// Front-channel logouts of its OP end sessions here (`/frontchannel-logout/{name}`).
    public var frontchannelIntake: Bool?

    public init(
        name: String,
        issuer: String,
        audience: String,
        jwksURI: String? = nil,
        jwks: JSONValue? = nil,
        sharedSecret: String? = nil,
        algorithms: [String]? = nil,
        typPolicy: TypPolicy? = nil,
        requireExp: Bool? = nil,
        endSessionEndpoint: String? = nil,
        revocationEndpoint: String? = nil,
        clientID: String? = nil,
        clientSecret: String? = nil,
        frontchannelIntake: Bool? = nil
    ) {
        self.name = name
        self.issuer = issuer
        self.audience = audience
        self.jwksURI = jwksURI
        self.jwks = jwks
        self.sharedSecret = sharedSecret
        self.algorithms = algorithms
        self.typPolicy = typPolicy
        self.requireExp = requireExp
        self.endSessionEndpoint = endSessionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.frontchannelIntake = frontchannelIntake
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, issuer, audience, jwks, algorithms
        case jwksURI = "jwks_uri"
        case sharedSecret = "shared_secret"
        case typPolicy = "typ_policy"
        case requireExp = "require_exp"
        case endSessionEndpoint = "end_session_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case frontchannelIntake = "frontchannel_intake"
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the issuer"
}

/// An issuer as the admin API shows it: secrets are only flagged, never returned.
public struct IssuerResource: Codable, Sendable, Equatable {
    public var name: String
    public var issuer: String
    public var audience: String
    /// `jwks_uri`, `jwks` or `shared_secret`.
    public var keySource: String
    public var jwksURI: String?
    public var jwks: JSONValue?
    public var algorithms: [String]
    public var typPolicy: TypPolicy
    public var requireExp: Bool
    public var endSessionEndpoint: String?
    public var revocationEndpoint: String?
    public var clientID: String?
    public var hasClientSecret: Bool
    public var frontchannelIntake: Bool
    public var createdAt: Timestamp
    /// Our own stream at the issuer's SSF transmitter, if the admin set one up.
    public var ssf: UpstreamStreamView?

    public init(_ issuer: Issuer, upstream: UpstreamStream? = nil) {
        name = issuer.name
        self.issuer = issuer.issuer
        audience = issuer.audience
        switch issuer.keySource {
        case .jwksURI(let uri):
            keySource = "jwks_uri"
            jwksURI = uri
        case .jwks(let text):
            keySource = "jwks"
            jwks = try? StrictJSONParser.parse(Array(text.utf8))
        case .sharedSecret:
            keySource = "shared_secret"
        }
        algorithms = issuer.algorithms.map(\.rawValue)
        typPolicy = issuer.typPolicy
        requireExp = issuer.requireExp
        endSessionEndpoint = issuer.endSessionEndpoint
        revocationEndpoint = issuer.revocationEndpoint
        clientID = issuer.clientID
        hasClientSecret = issuer.hasClientSecret
        frontchannelIntake = issuer.frontchannelIntake
        createdAt = issuer.createdAt
        ssf = upstream.map(UpstreamStreamView.init)
    }

    enum CodingKeys: String, CodingKey {
        case name, issuer, audience, jwks, algorithms
        case keySource = "key_source"
        case jwksURI = "jwks_uri"
        case typPolicy = "typ_policy"
        case requireExp = "require_exp"
        case endSessionEndpoint = "end_session_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case clientID = "client_id"
        case hasClientSecret = "has_client_secret"
        case frontchannelIntake = "frontchannel_intake"
        case createdAt = "created_at"
        case ssf
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(name, forKey: .name)
        try c.encode(issuer, forKey: .issuer)
        try c.encode(audience, forKey: .audience)
        try c.encode(keySource, forKey: .keySource)
        // Only the member of the issuer's key source is present.
        try c.encodeIfPresent(jwksURI, forKey: .jwksURI)
        try c.encodeIfPresent(jwks, forKey: .jwks)
        try c.encode(algorithms, forKey: .algorithms)
        try c.encode(typPolicy, forKey: .typPolicy)
        try c.encode(requireExp, forKey: .requireExp)
        try c.encode(endSessionEndpoint, forKey: .endSessionEndpoint)
        try c.encode(revocationEndpoint, forKey: .revocationEndpoint)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(hasClientSecret, forKey: .hasClientSecret)
        try c.encode(frontchannelIntake, forKey: .frontchannelIntake)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(ssf, forKey: .ssf)
    }
}

public struct IssuerList: Codable, Sendable, Equatable {
    public var issuers: [IssuerResource]
    public init(issuers: [IssuerResource]) { self.issuers = issuers }
}

/// `PATCH /admin/v1/issuers/{name}`: what browser logout and Shared Signals use of an issuer,
/// changed in place (its sessions and queued revocations stay). A member left out is kept;
/// `null` removes it.
public struct IssuerChange: AdminRequestBody, Codable, Sendable, Equatable {
    public var endSessionEndpoint: Nullable<String>
    public var revocationEndpoint: Nullable<String>
    public var clientID: Nullable<String>
    public var clientSecret: Nullable<String>
    /// The transmitter's `/.well-known/ssf-configuration`: set, our stream there is created;
    /// `null`, it is deleted there and forgotten here.
    public var ssfConfigurationURL: Nullable<String>
    /// Our credential at the transmitter (sealed, never shown).
    public var ssfToken: Nullable<String>
    /// `push` or `poll` (the default).
    public var ssfDelivery: Nullable<String>
    /// Absent keeps it; `true` or `false` turns the front-channel bridge on or off.
    public var frontchannelIntake: Bool?

    public init(
        endSessionEndpoint: Nullable<String> = .absent,
        revocationEndpoint: Nullable<String> = .absent,
        clientID: Nullable<String> = .absent,
        clientSecret: Nullable<String> = .absent,
        ssfConfigurationURL: Nullable<String> = .absent,
        ssfToken: Nullable<String> = .absent,
        ssfDelivery: Nullable<String> = .absent,
        frontchannelIntake: Bool? = nil
    ) {
        self.endSessionEndpoint = endSessionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.ssfConfigurationURL = ssfConfigurationURL
        self.ssfToken = ssfToken
        self.ssfDelivery = ssfDelivery
        self.frontchannelIntake = frontchannelIntake
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case endSessionEndpoint = "end_session_endpoint"
        case revocationEndpoint = "revocation_endpoint"
        case clientID = "client_id"
        case clientSecret = "client_secret"
        case ssfConfigurationURL = "ssf_configuration_url"
        case ssfToken = "ssf_token"
        case ssfDelivery = "ssf_delivery"
        case frontchannelIntake = "frontchannel_intake"
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the issuer change"

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        endSessionEndpoint = try c.decodeNullable(String.self, forKey: .endSessionEndpoint)
        revocationEndpoint = try c.decodeNullable(String.self, forKey: .revocationEndpoint)
        clientID = try c.decodeNullable(String.self, forKey: .clientID)
        clientSecret = try c.decodeNullable(String.self, forKey: .clientSecret)
        ssfConfigurationURL = try c.decodeNullable(String.self, forKey: .ssfConfigurationURL)
        ssfToken = try c.decodeNullable(String.self, forKey: .ssfToken)
        ssfDelivery = try c.decodeNullable(String.self, forKey: .ssfDelivery)
        frontchannelIntake = try c.decodeIfPresent(Bool.self, forKey: .frontchannelIntake)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNullable(endSessionEndpoint, forKey: .endSessionEndpoint)
        try c.encodeNullable(revocationEndpoint, forKey: .revocationEndpoint)
        try c.encodeNullable(clientID, forKey: .clientID)
        try c.encodeNullable(clientSecret, forKey: .clientSecret)
        try c.encodeNullable(ssfConfigurationURL, forKey: .ssfConfigurationURL)
        try c.encodeNullable(ssfToken, forKey: .ssfToken)
        try c.encodeNullable(ssfDelivery, forKey: .ssfDelivery)
        try c.encodeIfPresent(frontchannelIntake, forKey: .frontchannelIntake)
    }
}

/// The issuer's `ssf` member: our stream at its transmitter, as far as setting it up has come
/// (`creating`, `verifying`, `verified`) and what went wrong last. Never the token.
public struct UpstreamStreamView: Codable, Sendable, Equatable {
    public var configurationURL: String
    public var delivery: String
    public var state: String
    public var streamID: String?
    public var pollURL: String?
    public var verifiedAt: Timestamp?
    public var lastError: String?
    public var lastErrorAt: Timestamp?
    public var lastPolledAt: Timestamp?
    public var updatedAt: Timestamp

    public init(_ stream: UpstreamStream) {
        configurationURL = stream.settings.configurationURL
        delivery = stream.settings.delivery.name
        state = stream.state.rawValue
        streamID = stream.streamID
        pollURL = stream.pollURL
        verifiedAt = stream.verifiedAt
        lastError = stream.lastError
        lastErrorAt = stream.lastErrorAt
        lastPolledAt = stream.lastPolledAt
        updatedAt = stream.updatedAt
    }

    enum CodingKeys: String, CodingKey {
        case delivery, state
        case configurationURL = "configuration_url"
        case streamID = "stream_id"
        case pollURL = "poll_url"
        case verifiedAt = "verified_at"
        case lastError = "last_error"
        case lastErrorAt = "last_error_at"
        case lastPolledAt = "last_polled_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(configurationURL, forKey: .configurationURL)
        try c.encode(delivery, forKey: .delivery)
        try c.encode(state, forKey: .state)
        try c.encode(streamID, forKey: .streamID)
        try c.encode(pollURL, forKey: .pollURL)
        try c.encode(verifiedAt, forKey: .verifiedAt)
        try c.encode(lastError, forKey: .lastError)
        try c.encode(lastErrorAt, forKey: .lastErrorAt)
        try c.encode(lastPolledAt, forKey: .lastPolledAt)
        try c.encode(updatedAt, forKey: .updatedAt)
    }
}
