import Foundation

/// A refused admin request: a stable code and a description that says how to fix it (C4).
public struct AdminError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        case invalidRequest
        case notFound
        case conflict
        case unprocessable
        case unavailable
    }

    public let kind: Kind
    public let code: String
    public let description: String

    public init(_ kind: Kind, _ code: String, _ description: String) {
        self.kind = kind
        self.code = code
        self.description = description
    }

    public static func invalid(_ description: String) -> AdminError {
        AdminError(.unprocessable, "invalid_request", description)
    }

    public static func notFound(_ description: String) -> AdminError {
        AdminError(.notFound, "not_found", description)
    }
}

/// How a new issuer proves its tokens.
public enum IssuerKeyInput: Sendable, Equatable {
    case jwksURI(String)
    case jwks(JSONValue)
    case sharedSecret(String)
}

public struct IssuerInput: Sendable, Equatable {
    public var name: String
    public var issuer: String
    public var audience: String
    public var keys: IssuerKeyInput
    public var algorithms: [JWSAlgorithm]?
    public var typPolicy: TypPolicy?
    public var requireExp: Bool?
    public var endSessionEndpoint: String?
    public var revocationEndpoint: String?
    public var clientID: String?
    public var clientSecret: String?

    public init(
        name: String,
        issuer: String,
        audience: String,
        keys: IssuerKeyInput,
        algorithms: [JWSAlgorithm]? = nil,
        typPolicy: TypPolicy? = nil,
        requireExp: Bool? = nil,
        endSessionEndpoint: String? = nil,
        revocationEndpoint: String? = nil,
        clientID: String? = nil,
        clientSecret: String? = nil
    ) {
        self.name = name
        self.issuer = issuer
        self.audience = audience
        self.keys = keys
        self.algorithms = algorithms
        self.typPolicy = typPolicy
        self.requireExp = requireExp
        self.endSessionEndpoint = endSessionEndpoint
        self.revocationEndpoint = revocationEndpoint
        self.clientID = clientID
        self.clientSecret = clientSecret
    }
}

public struct RelyingPartyInput: Sendable, Equatable {
    public var clientID: String
    public var backchannelLogoutURI: String
    public var sessionRequired: Bool = false
    public var signingAlgorithm: SigningAlgorithm = .es256
    /// For HS256. On update, `nil` keeps the stored secret.
    public var clientSecret: String?
    public var tokenIssuer: String?
    public var subjects: RelyingParty.Subjects = .registered
    public var issuers: [String] = []
    public var enabled: Bool = true
    public var allowHTTP: Bool = false
    public var postLogoutRedirectURIs: [String] = []
    public var frontchannelLogoutURI: String?
    public var frontchannelLogoutSessionRequired: Bool = false

    public init(clientID: String, backchannelLogoutURI: String) {
        self.clientID = clientID
        self.backchannelLogoutURI = backchannelLogoutURI
    }
}

public struct SessionInput: Sendable, Equatable {
    public var issuer: String
    public var sub: String
    public var sid: String?
    public var clientID: String
    public var rpSub: String?
    public var rpSid: String?
    /// The RP knows no session id (`"rp_sid": null`): deliveries carry `sub` only. Needed for RPs
    /// such as mod_auth_openidc behind an IdP that issues no `sid`: they key sessions by `sub` and
    /// answer 200 to an unknown `sid` without ending anything.
    public var rpSidNone = false
    public var expiresAt: Date?
    public var idToken: String?
    public var accessToken: String?
    public var refreshToken: String?

    public init(
        issuer: String,
        sub: String,
        sid: String? = nil,
        clientID: String,
        rpSub: String? = nil,
        rpSid: String? = nil,
        expiresAt: Date? = nil
    ) {
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.rpSub = rpSub
        self.rpSid = rpSid
        self.expiresAt = expiresAt
    }
}

public struct SessionQuery: Sendable, Equatable {
    public var issuer: String?
    public var sub: String?
    public var clientID: String?
    public var limit: Int

    public init(issuer: String? = nil, sub: String? = nil, clientID: String? = nil, limit: Int = 100) {
        self.issuer = issuer
        self.sub = sub
        self.clientID = clientID
        self.limit = limit
    }
}

public struct EventQuery: Sendable, Equatable {
    public var outcome: EventRecord.Outcome?
    public var limit: Int
    public var beforeID: Int64?

    public init(outcome: EventRecord.Outcome? = nil, limit: Int = 100, beforeID: Int64? = nil) {
        self.outcome = outcome
        self.limit = limit
        self.beforeID = beforeID
    }
}

public struct DeliveryQuery: Sendable, Equatable {
    public var status: DeliveryStatus?
    public var clientID: String?
    public var eventID: Int64?
    public var limit: Int
    public var beforeID: Int64?

    public init(
        status: DeliveryStatus? = nil,
        clientID: String? = nil,
        eventID: Int64? = nil,
        limit: Int = 100,
        beforeID: Int64? = nil
    ) {
        self.status = status
        self.clientID = clientID
        self.eventID = eventID
        self.limit = limit
        self.beforeID = beforeID
    }
}

/// One of our signing keys, as admins see it.
public struct SigningKeyInfo: Sendable, Equatable {
    public var keyID: String
    public var algorithm: SigningAlgorithm
    public var createdAt: Date
    public var active: Bool

    public init(keyID: String, algorithm: SigningAlgorithm, createdAt: Date, active: Bool) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.createdAt = createdAt
        self.active = active
    }
}

/// Everything the admin API can do: implemented by the service layer, served by the admin
/// listener. Methods throw `AdminError` for what the caller can fix; anything else is ours.
public protocol AdminOperations: Sendable {
    func createIssuer(_ input: IssuerInput) async throws -> Issuer
    func issuers() async throws -> [Issuer]
    func issuer(named name: String) async throws -> Issuer
    func deleteIssuer(named name: String) async throws

    func createRelyingParty(_ input: RelyingPartyInput) async throws -> RelyingParty
    func relyingParties() async throws -> [RelyingParty]
    func relyingParty(clientID: String) async throws -> RelyingParty
    func replaceRelyingParty(_ input: RelyingPartyInput) async throws -> RelyingParty
    func deleteRelyingParty(clientID: String) async throws

    func createSession(_ input: SessionInput) async throws -> Session
    func sessions(_ query: SessionQuery) async throws -> [Session]
    func deleteSession(id: Int64) async throws

    func events(_ query: EventQuery) async throws -> [EventRecord]
    func event(id: Int64) async throws -> EventRecord

    func deliveries(_ query: DeliveryQuery) async throws -> [DeliveryRecord]
    func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord])
    func retryDelivery(id: Int64) async throws
    func recoverDeliveries(clientID: String, since: Date) async throws -> Int

    /// An admin-triggered logout: the same fan-out as an inbound token, recorded with source `admin`.
    func logout(issuer: String, sub: String?, sid: String?) async throws -> Int64

    func signingKeys() async throws -> [SigningKeyInfo]
}
