/// A relying party that logoutd notifies.
public struct RelyingParty: Sendable, Equatable {
    public enum Subjects: String, Sendable, Codable, CaseIterable {
        /// Only subjects with a registered session at this RP hear about logouts.
        case registered
        /// Every logout of a subject from one of `issuers`, addressed by `sub` (RES-4).
        case all
    }

    public var clientID: String
    public var backchannelLogoutURI: String
    public var sessionRequired: Bool
    public var signingAlgorithm: SigningAlgorithm
    /// Whether an HS256 client secret is stored (the secret itself never leaves storage unsealed
    /// except to sign).
    public var hasClientSecret: Bool
    public var tokenIssuer: String?
    public var subjects: Subjects
    public var issuers: [String]
    public var enabled: Bool
    public var allowHTTP: Bool
    public var postLogoutRedirectURIs: [String]
    public var frontchannelLogoutURI: String?
    public var frontchannelLogoutSessionRequired: Bool
    public var createdAt: Timestamp
    public var updatedAt: Timestamp

    public init(
        clientID: String,
        backchannelLogoutURI: String,
        sessionRequired: Bool = false,
        signingAlgorithm: SigningAlgorithm = .es256,
        hasClientSecret: Bool = false,
        tokenIssuer: String? = nil,
        subjects: Subjects = .registered,
        issuers: [String] = [],
        enabled: Bool = true,
        allowHTTP: Bool = false,
        postLogoutRedirectURIs: [String] = [],
        frontchannelLogoutURI: String? = nil,
        frontchannelLogoutSessionRequired: Bool = false,
        createdAt: Timestamp,
        updatedAt: Timestamp
    ) {
        self.clientID = clientID
        self.backchannelLogoutURI = backchannelLogoutURI
        self.sessionRequired = sessionRequired
        self.signingAlgorithm = signingAlgorithm
        self.hasClientSecret = hasClientSecret
        self.tokenIssuer = tokenIssuer
        self.subjects = subjects
        self.issuers = issuers
        self.enabled = enabled
        self.allowHTTP = allowHTTP
        self.postLogoutRedirectURIs = postLogoutRedirectURIs
        self.frontchannelLogoutURI = frontchannelLogoutURI
        self.frontchannelLogoutSessionRequired = frontchannelLogoutSessionRequired
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// How we sign the logout tokens we send to one RP (rulebook OUT-1).
public enum SigningAlgorithm: String, Sendable, Codable, CaseIterable {
    case es256 = "ES256"
    case rs256 = "RS256"
    case edDSA = "EdDSA"
    /// With the RP's client secret, and without `kid` (mod_auth_openidc rejects HS256 with one).
    case hs256 = "HS256"
}
