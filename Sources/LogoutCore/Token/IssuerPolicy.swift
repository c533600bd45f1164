/// What a registered issuer is trusted to send: everything that decides whether one of its tokens
/// is valid comes from here, never from the token (rulebook IN-3).
public struct IssuerPolicy: Sendable, Equatable {
    public enum Trust: String, Sendable {
        /// Asymmetric signatures checked with the issuer's JWKS (fetched or inline).
        case keys
        /// HS256 app tokens signed with a shared secret (Logora-style, rulebook IN-16).
        case sharedSecret = "shared_secret"
    }

    public let name: String
    public let issuer: String
    public let audience: String
    public let algorithms: Set<JWSAlgorithm>
    public let typPolicy: TypPolicy
    public let requireExp: Bool
    public let trust: Trust
    /// How old `iat` may be (IN-10); also bounds tokens of issuers that send no `exp`.
    public let maximumTokenAge: Duration
    /// Tolerated clock difference for `iat`, `nbf` and `exp`.
    public let clockSkew: Duration

    public static let defaultMaximumTokenAge: Duration = .seconds(600)
    public static let defaultClockSkew: Duration = .seconds(60)

    public init(
        name: String,
        issuer: String,
        audience: String,
        algorithms: Set<JWSAlgorithm>,
        typPolicy: TypPolicy = .default,
        requireExp: Bool = true,
        trust: Trust,
        maximumTokenAge: Duration = IssuerPolicy.defaultMaximumTokenAge,
        clockSkew: Duration = IssuerPolicy.defaultClockSkew
    ) {
        self.name = name
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.typPolicy = typPolicy
        // Shared-secret app tokens need not carry `exp` (IN-16); `iat` age bounds them instead.
        self.requireExp = trust == .sharedSecret ? false : requireExp
        self.trust = trust
        self.maximumTokenAge = maximumTokenAge
        self.clockSkew = clockSkew
    }

    /// The time after which a replay record for a token of this issuer is no longer needed: a
    /// token older than this fails the `iat` age check anyway (IN-12).
    public var replayRetention: Duration {
        maximumTokenAge + clockSkew * 2
    }
}

/// How strictly the JOSE `typ` header is checked (rulebook IN-7).
public enum TypPolicy: String, Sendable, CaseIterable, Codable {
    /// `typ` absent or `logout+jwt`.
    case `default`
    /// `typ` must be `logout+jwt`.
    case strict
    /// Also `JWT`, which Hydra, ZITADEL and LemonLDAP send.
    case legacy
}

/// The JWS algorithms logoutd knows. `none` is deliberately not representable.
public enum JWSAlgorithm: String, Sendable, CaseIterable, Codable, Comparable {
    case rs256 = "RS256"
    case rs384 = "RS384"
    case rs512 = "RS512"
    case ps256 = "PS256"
    case ps384 = "PS384"
    case ps512 = "PS512"
    case es256 = "ES256"
    case es384 = "ES384"
    case es512 = "ES512"
    case edDSA = "EdDSA"
    case hs256 = "HS256"
    case hs384 = "HS384"
    case hs512 = "HS512"

    public var isSymmetric: Bool {
        switch self {
        case .hs256, .hs384, .hs512: return true
        default: return false
        }
    }

    /// The JWK key type that can verify this algorithm.
    public var keyType: String {
        switch self {
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: return "RSA"
        case .es256, .es384, .es512: return "EC"
        case .edDSA: return "OKP"
        case .hs256, .hs384, .hs512: return "oct"
        }
    }

    public static let asymmetricDefaults: Set<JWSAlgorithm> = [.rs256, .ps256, .es256, .edDSA]
    public static let symmetricDefaults: Set<JWSAlgorithm> = [.hs256]

    public static func < (lhs: JWSAlgorithm, rhs: JWSAlgorithm) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
