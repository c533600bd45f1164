import LogoutCore

/// How we sign the tokens we send one RP (OUT-1): ES256 with our keys by default, RS256, EdDSA,
/// or HS256 with the RP's client secret.
public struct SigningSettings: Codable, Sendable, Equatable {
    public var alg: SigningAlgorithm?
    /// For HS256 only; never returned.
    public var clientSecret: String?

    public init(alg: SigningAlgorithm? = nil, clientSecret: String? = nil) {
        self.alg = alg
        self.clientSecret = clientSecret
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case alg
        case clientSecret = "client_secret"
    }

    static let members = Set(CodingKeys.allCases.map(\.rawValue))
}

/// `POST /admin/v1/rps` (every member) and `PATCH /admin/v1/rps/{client_id}` (the members
/// given replace the stored ones; `null` clears an optional one).
public struct RelyingPartyRegistration: AdminRequestBody, Codable, Sendable, Equatable {
    public var clientID: Nullable<String> = .absent
    public var backchannelLogoutURI: Nullable<String> = .absent
    public var sessionRequired: Nullable<Bool> = .absent
    public var signing: Nullable<SigningSettings> = .absent
    public var tokenIssuer: Nullable<String> = .absent
    public var subjects: Nullable<RelyingParty.Subjects> = .absent
    public var issuers: Nullable<[String]> = .absent
    public var enabled: Nullable<Bool> = .absent
    public var allowHTTP: Nullable<Bool> = .absent
    public var postLogoutRedirectURIs: Nullable<[String]> = .absent
    public var frontchannelLogoutURI: Nullable<String> = .absent
    public var frontchannelLogoutSessionRequired: Nullable<Bool> = .absent

    public init(clientID: String, backchannelLogoutURI: String) {
        self.clientID = .value(clientID)
        self.backchannelLogoutURI = .value(backchannelLogoutURI)
    }

    /// An empty change, for PATCH bodies built in code.
    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case signing, subjects, issuers, enabled
        case clientID = "client_id"
        case backchannelLogoutURI = "backchannel_logout_uri"
        case sessionRequired = "backchannel_logout_session_required"
        case tokenIssuer = "token_issuer"
        case allowHTTP = "allow_http"
        case postLogoutRedirectURIs = "post_logout_redirect_uris"
        case frontchannelLogoutURI = "frontchannel_logout_uri"
        case frontchannelLogoutSessionRequired = "frontchannel_logout_session_required"
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let nestedMembers = ["signing": SigningSettings.members]
    public static let what = "the RP"

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        clientID = try c.decodeNullable(String.self, forKey: .clientID)
        backchannelLogoutURI = try c.decodeNullable(String.self, forKey: .backchannelLogoutURI)
        sessionRequired = try c.decodeNullable(Bool.self, forKey: .sessionRequired)
        signing = try c.decodeNullable(SigningSettings.self, forKey: .signing)
        tokenIssuer = try c.decodeNullable(String.self, forKey: .tokenIssuer)
        subjects = try c.decodeNullable(RelyingParty.Subjects.self, forKey: .subjects)
        issuers = try c.decodeNullable([String].self, forKey: .issuers)
        enabled = try c.decodeNullable(Bool.self, forKey: .enabled)
        allowHTTP = try c.decodeNullable(Bool.self, forKey: .allowHTTP)
        postLogoutRedirectURIs = try c.decodeNullable([String].self, forKey: .postLogoutRedirectURIs)
        frontchannelLogoutURI = try c.decodeNullable(String.self, forKey: .frontchannelLogoutURI)
        frontchannelLogoutSessionRequired = try c.decodeNullable(Bool.self, forKey: .frontchannelLogoutSessionRequired)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encodeNullable(clientID, forKey: .clientID)
        try c.encodeNullable(backchannelLogoutURI, forKey: .backchannelLogoutURI)
        try c.encodeNullable(sessionRequired, forKey: .sessionRequired)
        try c.encodeNullable(signing, forKey: .signing)
        try c.encodeNullable(tokenIssuer, forKey: .tokenIssuer)
        try c.encodeNullable(subjects, forKey: .subjects)
        try c.encodeNullable(issuers, forKey: .issuers)
        try c.encodeNullable(enabled, forKey: .enabled)
        try c.encodeNullable(allowHTTP, forKey: .allowHTTP)
        try c.encodeNullable(postLogoutRedirectURIs, forKey: .postLogoutRedirectURIs)
        try c.encodeNullable(frontchannelLogoutURI, forKey: .frontchannelLogoutURI)
        try c.encodeNullable(frontchannelLogoutSessionRequired, forKey: .frontchannelLogoutSessionRequired)
    }
}

/// An RP as the admin API shows it.
public struct RelyingPartyResource: Codable, Sendable, Equatable {
    public struct Signing: Codable, Sendable, Equatable {
        public var alg: SigningAlgorithm
    }

    /// Its circuit breaker: `closed`, `open` (deliveries wait) or `probing`.
    public struct Breaker: Codable, Sendable, Equatable {
        public var state: CircuitBreaker.State
        public var since: Timestamp?
        public var consecutiveFailures: Int
        public var lastError: String?
        public var nextProbeAt: Timestamp?

        enum CodingKeys: String, CodingKey {
            case state, since
            case consecutiveFailures = "consecutive_failures"
            case lastError = "last_error"
            case nextProbeAt = "next_probe_at"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(state, forKey: .state)
            try c.encode(since, forKey: .since)
            try c.encode(consecutiveFailures, forKey: .consecutiveFailures)
            try c.encode(lastError, forKey: .lastError)
            try c.encode(nextProbeAt, forKey: .nextProbeAt)
        }
    }

    public var clientID: String
    public var backchannelLogoutURI: String
    public var sessionRequired: Bool
    public var signing: Signing
    public var hasClientSecret: Bool
    public var tokenIssuer: String?
    public var subjects: RelyingParty.Subjects
    public var issuers: [String]
    public var enabled: Bool
    public var allowHTTP: Bool
    public var postLogoutRedirectURIs: [String]
    public var frontchannelLogoutURI: String?
    public var frontchannelLogoutSessionRequired: Bool
    public var createdAt: Timestamp
    public var updatedAt: Timestamp
    public var breaker: Breaker

    public init(_ rp: RelyingParty, breaker: CircuitBreaker = .init()) {
        clientID = rp.clientID
        backchannelLogoutURI = rp.backchannelLogoutURI
        sessionRequired = rp.sessionRequired
        signing = Signing(alg: rp.signingAlgorithm)
        hasClientSecret = rp.hasClientSecret
        tokenIssuer = rp.tokenIssuer
        subjects = rp.subjects
        issuers = rp.issuers
        enabled = rp.enabled
        allowHTTP = rp.allowHTTP
        postLogoutRedirectURIs = rp.postLogoutRedirectURIs
        frontchannelLogoutURI = rp.frontchannelLogoutURI
        frontchannelLogoutSessionRequired = rp.frontchannelLogoutSessionRequired
        createdAt = rp.createdAt
        updatedAt = rp.updatedAt
        self.breaker = Breaker(
            state: breaker.state,
            since: breaker.since,
            consecutiveFailures: breaker.consecutiveFailures,
            lastError: breaker.lastError,
            nextProbeAt: breaker.nextProbeAt
        )
    }

    enum CodingKeys: String, CodingKey {
        case signing, subjects, issuers, enabled, breaker
        case clientID = "client_id"
        case backchannelLogoutURI = "backchannel_logout_uri"
        case sessionRequired = "backchannel_logout_session_required"
        case hasClientSecret = "has_client_secret"
        case tokenIssuer = "token_issuer"
        case allowHTTP = "allow_http"
        case postLogoutRedirectURIs = "post_logout_redirect_uris"
        case frontchannelLogoutURI = "frontchannel_logout_uri"
        case frontchannelLogoutSessionRequired = "frontchannel_logout_session_required"
        case createdAt = "created_at"
        case updatedAt = "updated_at"
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(clientID, forKey: .clientID)
        try c.encode(backchannelLogoutURI, forKey: .backchannelLogoutURI)
        try c.encode(sessionRequired, forKey: .sessionRequired)
        try c.encode(signing, forKey: .signing)
        try c.encode(hasClientSecret, forKey: .hasClientSecret)
        try c.encode(tokenIssuer, forKey: .tokenIssuer)
        try c.encode(subjects, forKey: .subjects)
        try c.encode(issuers, forKey: .issuers)
        try c.encode(enabled, forKey: .enabled)
        try c.encode(allowHTTP, forKey: .allowHTTP)
        try c.encode(postLogoutRedirectURIs, forKey: .postLogoutRedirectURIs)
        try c.encode(frontchannelLogoutURI, forKey: .frontchannelLogoutURI)
        try c.encode(frontchannelLogoutSessionRequired, forKey: .frontchannelLogoutSessionRequired)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encode(updatedAt, forKey: .updatedAt)
        try c.encode(breaker, forKey: .breaker)
    }
}

public struct RelyingPartyList: Codable, Sendable, Equatable {
    public var rps: [RelyingPartyResource]
    public init(rps: [RelyingPartyResource]) { self.rps = rps }
}
