import Foundation
import LogoutCore

/// Reads admin request bodies strictly: unknown members, wrong types and duplicates are refused
/// with a message naming the member, so a typo never silently becomes a default.
struct AdminBody {
    let members: [String: JSONValue]
    private let what: String

    init(_ bytes: [UInt8], what: String) throws(AdminError) {
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(bytes)
        } catch {
            throw AdminError(.invalidRequest, "invalid_request", "the body is not valid JSON: \(error.description)")
        }
        guard let object = value.objectValue else {
            throw AdminError(.invalidRequest, "invalid_request", "the body must be a JSON object")
        }
        self.init(object, what: what)
    }

    init(_ members: [String: JSONValue], what: String) {
        self.members = members
        self.what = what
    }

    func allowOnly(_ names: Set<String>) throws(AdminError) {
        let unknown = members.keys.filter { !names.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw AdminError.invalid(
                "unknown member\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) in \(what); "
                    + "accepted: \(names.sorted().joined(separator: ", "))"
            )
        }
    }

    func string(_ name: String) throws(AdminError) -> String {
        guard let value = try optionalString(name) else { throw AdminError.invalid("\(name) is required") }
        return value
    }

    func optionalString(_ name: String) throws(AdminError) -> String? {
        switch members[name] {
        case nil, .null?: return nil
        case .string(let value)?:
            guard !value.isEmpty else { throw AdminError.invalid("\(name) must not be empty") }
            return value
        default: throw AdminError.invalid("\(name) must be a string")
        }
    }

    func optionalBool(_ name: String) throws(AdminError) -> Bool? {
        switch members[name] {
        case nil, .null?: return nil
        case .bool(let value)?: return value
        default: throw AdminError.invalid("\(name) must be true or false")
        }
    }

    func optionalStrings(_ name: String) throws(AdminError) -> [String]? {
        switch members[name] {
        case nil, .null?: return nil
        case .array(let values)?:
            var strings: [String] = []
            for value in values {
                guard let string = value.stringValue else {
                    throw AdminError.invalid("\(name) must be an array of strings")
                }
                strings.append(string)
            }
            return strings
        default: throw AdminError.invalid("\(name) must be an array of strings")
        }
    }

    func optionalDate(_ name: String) throws(AdminError) -> Date? {
        guard let text = try optionalString(name) else { return nil }
        guard let date = Timestamps.parse(text) else {
            throw AdminError.invalid("\(name) must be an RFC 3339 time such as 2026-01-31T12:00:00Z")
        }
        return date
    }

    func optionalEnum<T: RawRepresentable & CaseIterable>(_ name: String, _ type: T.Type) throws(AdminError) -> T?
    where T.RawValue == String {
        guard let text = try optionalString(name) else { return nil }
        guard let value = T(rawValue: text) else {
            throw AdminError.invalid("\(name) must be one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return value
    }
}

enum Timestamps {
    static func format(_ date: Date) -> String {
        date.formatted(
            .iso8601.year().month().day().time(includingFractionalSeconds: true).timeZone(separator: .omitted)
        )
    }

    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }

    static func json(_ date: Date?) -> JSONValue {
        date.map { .string(format($0)) } ?? .null
    }
}

/// Admin input shapes (contract C4).
enum AdminInputs {
    static func issuer(_ body: AdminBody) throws(AdminError) -> IssuerInput {
        try body.allowOnly([
            "name", "issuer", "audience", "jwks_uri", "jwks", "shared_secret", "algorithms", "typ_policy",
            "require_exp", "end_session_endpoint", "revocation_endpoint", "client_id", "client_secret",
        ])
        var sources: [IssuerKeyInput] = []
        if let uri = try body.optionalString("jwks_uri") { sources.append(.jwksURI(uri)) }
        if let jwks = body.members["jwks"], jwks != .null {
            guard jwks.objectValue != nil else { throw AdminError.invalid("jwks must be a JWKS object") }
            sources.append(.jwks(jwks))
        }
        if let secret = try body.optionalString("shared_secret") { sources.append(.sharedSecret(secret)) }
        guard sources.count == 1, let keys = sources.first else {
            throw AdminError.invalid("give exactly one of jwks_uri, jwks or shared_secret")
        }
        var algorithms: [JWSAlgorithm]?
        if let names = try body.optionalStrings("algorithms") {
            algorithms = []
            for name in names {
                guard let algorithm = JWSAlgorithm(rawValue: name) else {
                    throw AdminError.invalid(
                        "algorithm \(name) is not supported; use \(JWSAlgorithm.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                algorithms?.append(algorithm)
            }
        }
        return IssuerInput(
            name: try body.string("name"),
            issuer: try body.string("issuer"),
            audience: try body.string("audience"),
            keys: keys,
            algorithms: algorithms,
            typPolicy: try body.optionalEnum("typ_policy", TypPolicy.self),
            requireExp: try body.optionalBool("require_exp"),
            endSessionEndpoint: try body.optionalString("end_session_endpoint"),
            revocationEndpoint: try body.optionalString("revocation_endpoint"),
            clientID: try body.optionalString("client_id"),
            clientSecret: try body.optionalString("client_secret")
        )
    }

    static let relyingPartyMembers: Set<String> = [
        "client_id", "backchannel_logout_uri", "backchannel_logout_session_required", "signing", "token_issuer",
        "subjects", "issuers", "enabled", "allow_http", "post_logout_redirect_uris", "frontchannel_logout_uri",
        "frontchannel_logout_session_required",
    ]

    static func relyingParty(_ body: AdminBody) throws(AdminError) -> RelyingPartyInput {
        try body.allowOnly(relyingPartyMembers)
        var input = RelyingPartyInput(
            clientID: try body.string("client_id"),
            backchannelLogoutURI: try body.string("backchannel_logout_uri")
        )
        input.sessionRequired = try body.optionalBool("backchannel_logout_session_required") ?? false
        if let signing = body.members["signing"], signing != .null {
            guard let object = signing.objectValue else {
                throw AdminError.invalid("signing must be an object such as {\"alg\": \"ES256\"}")
            }
            let signingBody = AdminBody(object, what: "signing")
            try signingBody.allowOnly(["alg", "client_secret"])
            input.signingAlgorithm = try signingBody.optionalEnum("alg", SigningAlgorithm.self) ?? .es256
            input.clientSecret = try signingBody.optionalString("client_secret")
        }
        input.tokenIssuer = try body.optionalString("token_issuer")
        input.subjects = try body.optionalEnum("subjects", RelyingParty.Subjects.self) ?? .registered
        input.issuers = try body.optionalStrings("issuers") ?? []
        input.enabled = try body.optionalBool("enabled") ?? true
        input.allowHTTP = try body.optionalBool("allow_http") ?? false
        input.postLogoutRedirectURIs = try body.optionalStrings("post_logout_redirect_uris") ?? []
        input.frontchannelLogoutURI = try body.optionalString("frontchannel_logout_uri")
        input.frontchannelLogoutSessionRequired = try body.optionalBool("frontchannel_logout_session_required") ?? false
        return input
    }

    /// PATCH: the stored RP in input shape, with the body's members laid over it (`null` clears).
    static func patchedRelyingParty(_ current: RelyingParty, patch: AdminBody) throws(AdminError) -> RelyingPartyInput {
        try patch.allowOnly(relyingPartyMembers)
        if let clientID = patch.members["client_id"], clientID != .string(current.clientID) {
            throw AdminError.invalid("client_id cannot change; register a new RP instead")
        }
        var merged = AdminRender.relyingPartyInputShape(current)
        for (name, value) in patch.members {
            if name == "signing", let patchSigning = value.objectValue, let currentSigning = merged[name]?.objectValue {
                merged[name] = .object(currentSigning.merging(patchSigning) { _, new in new })
            } else {
                merged[name] = value
            }
        }
        return try relyingParty(AdminBody(merged, what: "the RP"))
    }

    static func session(_ body: AdminBody) throws(AdminError) -> SessionInput {
        try body.allowOnly([
            "issuer", "sub", "sid", "client_id", "rp_sub", "rp_sid", "expires_at", "id_token", "access_token",
            "refresh_token",
        ])
        var input = SessionInput(
            issuer: try body.string("issuer"),
            sub: try body.string("sub"),
            sid: try body.optionalString("sid"),
            clientID: try body.string("client_id"),
            rpSub: try body.optionalString("rp_sub"),
            rpSid: try body.optionalString("rp_sid"),
            expiresAt: try body.optionalDate("expires_at")
        )
        input.rpSidNone = body.members["rp_sid"] == .null
        input.idToken = try body.optionalString("id_token")
        input.accessToken = try body.optionalString("access_token")
        input.refreshToken = try body.optionalString("refresh_token")
        return input
    }
}

/// Admin output shapes (contract C4). Optional members are always present, `null` when unset.
enum AdminRender {
    static func issuer(_ issuer: Issuer) -> JSONValue {
        var object: [String: JSONValue] = [
            "name": .string(issuer.name),
            "issuer": .string(issuer.issuer),
            "audience": .string(issuer.audience),
            "algorithms": .array(issuer.algorithms.map { .string($0.rawValue) }),
            "typ_policy": .string(issuer.typPolicy.rawValue),
            "require_exp": .bool(issuer.requireExp),
            "end_session_endpoint": .optional(issuer.endSessionEndpoint),
            "revocation_endpoint": .optional(issuer.revocationEndpoint),
            "client_id": .optional(issuer.clientID),
            "has_client_secret": .bool(issuer.hasClientSecret),
            "created_at": Timestamps.json(issuer.createdAt),
        ]
        switch issuer.keySource {
        case .jwksURI(let uri):
            object["key_source"] = "jwks_uri"
            object["jwks_uri"] = .string(uri)
        case .jwks(let text):
            object["key_source"] = "jwks"
            object["jwks"] = (try? StrictJSONParser.parse(Array(text.utf8))) ?? .null
        case .sharedSecret:
            object["key_source"] = "shared_secret"
        }
        return .object(object)
    }

    static func relyingPartyInputShape(_ rp: RelyingParty) -> [String: JSONValue] {
        [
            "client_id": .string(rp.clientID),
            "backchannel_logout_uri": .string(rp.backchannelLogoutURI),
            "backchannel_logout_session_required": .bool(rp.sessionRequired),
            "signing": ["alg": .string(rp.signingAlgorithm.rawValue)],
            "token_issuer": .optional(rp.tokenIssuer),
            "subjects": .string(rp.subjects.rawValue),
            "issuers": .array(rp.issuers.map(JSONValue.string)),
            "enabled": .bool(rp.enabled),
            "allow_http": .bool(rp.allowHTTP),
            "post_logout_redirect_uris": .array(rp.postLogoutRedirectURIs.map(JSONValue.string)),
            "frontchannel_logout_uri": .optional(rp.frontchannelLogoutURI),
            "frontchannel_logout_session_required": .bool(rp.frontchannelLogoutSessionRequired),
        ]
    }

    static func relyingParty(_ rp: RelyingParty) -> JSONValue {
        var object = relyingPartyInputShape(rp)
        object["has_client_secret"] = .bool(rp.hasClientSecret)
        object["created_at"] = Timestamps.json(rp.createdAt)
        object["updated_at"] = Timestamps.json(rp.updatedAt)
        return .object(object)
    }

    static func session(_ session: Session) -> JSONValue {
        [
            "id": .number(Double(session.id)),
            "issuer": .string(session.issuer),
            "issuer_name": .string(session.issuerName),
            "sub": .string(session.sub),
            "sid": .optional(session.sid),
            "client_id": .string(session.clientID),
            "rp_sub": .string(session.rpSub),
            "rp_sid": .optional(session.rpSid),
            "created_at": Timestamps.json(session.createdAt),
            "expires_at": Timestamps.json(session.expiresAt),
            "ended_at": Timestamps.json(session.endedAt),
        ]
    }

    static func event(_ event: EventRecord) -> JSONValue {
        [
            "id": .number(Double(event.id)),
            "received_at": Timestamps.json(event.receivedAt),
            "source": .string(event.source),
            "iss": .optional(event.iss),
            "sub": .optional(event.sub),
            "sid": .optional(event.sid),
            "jti": .optional(event.jti),
            "token_hash": .optional(event.tokenHash),
            "outcome": .string(event.outcome.rawValue),
            "reason": .optional(event.reason),
            "deliveries": .number(Double(event.deliveries)),
            "client_address": .optional(event.clientAddress),
        ]
    }

    static func delivery(_ delivery: DeliveryRecord) -> JSONValue {
        [
            "id": .number(Double(delivery.id)),
            "event_id": .number(Double(delivery.eventID)),
            "client_id": .string(delivery.clientID),
            "sub": .optional(delivery.sub),
            "sid": .optional(delivery.sid),
            "status": .string(delivery.status.rawValue),
            "attempts": .number(Double(delivery.attempts)),
            "created_at": Timestamps.json(delivery.createdAt),
            "next_attempt_at": Timestamps.json(delivery.nextAttemptAt),
            "delivered_at": Timestamps.json(delivery.deliveredAt),
            "last_status_code": .optional(delivery.lastStatusCode),
            "last_error": .optional(delivery.lastError),
            "reason": .optional(delivery.reason),
        ]
    }

    static func attempt(_ attempt: AttemptRecord) -> JSONValue {
        [
            "attempt": .number(Double(attempt.attempt)),
            "started_at": Timestamps.json(attempt.startedAt),
            "duration_ms": .number(Double(attempt.durationMilliseconds)),
            "status_code": .optional(attempt.statusCode),
            "error_class": .optional(attempt.errorClass?.rawValue),
            "jti": .string(attempt.jti),
            "rp_error": .optional(attempt.rpError),
            "next_attempt_at": Timestamps.json(attempt.nextAttemptAt),
        ]
    }

    static func signingKey(_ key: SigningKeyInfo) -> JSONValue {
        [
            "kid": .string(key.keyID),
            "alg": .string(key.algorithm.rawValue),
            "created_at": Timestamps.json(key.createdAt),
            "active": .bool(key.active),
        ]
    }
}
