import LogoutCore

/// One of our signing keys and where it stands in its rotation (OUT-4).
public struct SigningKeyResource: Codable, Sendable, Equatable {
    public var kid: String
    public var alg: SigningAlgorithm
    /// `next` (published, not signing yet), `active`, `retiring` (published, no longer signing).
    public var state: KeySchedule.State
    public var active: Bool
    public var createdAt: Timestamp
    /// Since when `jwks_uri` publishes it.
    public var publishedAt: Timestamp
    /// When it signs (or signed) its first token.
    public var signingSince: Timestamp
    /// When it stops being published, once a newer key signs.
    public var retiresAt: Timestamp?
    /// `keys.dir`, or `credentials` for a key from `$CREDENTIALS_DIRECTORY`.
    public var source: String

    public init(
        kid: String,
        alg: SigningAlgorithm,
        state: KeySchedule.State,
        createdAt: Timestamp,
        publishedAt: Timestamp,
        signingSince: Timestamp,
        retiresAt: Timestamp?,
        source: String
    ) {
        self.kid = kid
        self.alg = alg
        self.state = state
        self.active = state == .active
        self.createdAt = createdAt
        self.publishedAt = publishedAt
        self.signingSince = signingSince
        self.retiresAt = retiresAt
        self.source = source
    }

    enum CodingKeys: String, CodingKey {
        case kid, alg, state, active, source
        case createdAt = "created_at"
        case publishedAt = "published_at"
        case signingSince = "signing_since"
        case retiresAt = "retires_at"
    }
}

public struct SigningKeyList: Codable, Sendable, Equatable {
    public var keys: [SigningKeyResource]
    public init(keys: [SigningKeyResource]) { self.keys = keys }
}

/// `POST /admin/v1/keys/rotate`: publish a next key for each algorithm (or one) now; it signs
/// after `keys.rotation_overlap`, or at once with `now` (an emergency: RPs that cached our JWKS
/// meet an unknown `kid` until they fetch it again).
public struct KeyRotationRequest: AdminRequestBody, Codable, Sendable, Equatable {
    public var now: Bool?
    public var alg: SigningAlgorithm?

    public init(now: Bool? = nil, alg: SigningAlgorithm? = nil) {
        self.now = now
        self.alg = alg
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case now, alg
    }

    public static let members = Set(CodingKeys.allCases.map(\.rawValue))
    public static let what = "the rotation"
}

/// The keys a rotation added or promoted, and a warning for an immediate switch.
public struct KeyRotation: Codable, Sendable, Equatable {
    public var keys: [SigningKeyResource]
    public var warning: String?

    public init(keys: [SigningKeyResource], warning: String?) {
        self.keys = keys
        self.warning = warning
    }
}
