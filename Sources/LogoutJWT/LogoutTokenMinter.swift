import Crypto
import Foundation
import LogoutCore

/// The claims of a logout token we send (rulebook OUT-2, contract C5).
public struct OutboundLogoutClaims: Sendable, Equatable {
    public var issuer: String
    public var audience: String
    public var subject: String?
    public var sessionID: String?
    /// Our event id, constant across attempts, for correlation.
    public var transaction: String

    public init(issuer: String, audience: String, subject: String?, sessionID: String?, transaction: String) {
        self.issuer = issuer
        self.audience = audience
        self.subject = subject
        self.sessionID = sessionID
        self.transaction = transaction
    }
}

/// Mints a fresh logout token for every attempt (OUT-3): new `jti`, `iat` = now, `exp` = now + 120 s.
public struct LogoutTokenMinter: Sendable {
    public static let lifetime: Int = 120
    private static let events: JSONValue = .object(["http://schemas.openid.net/event/backchannel-logout": .object([:])])

    public struct Minted: Sendable {
        public let token: String
        public let jti: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let keys: SigningKeyring

    public init(keys: SigningKeyring) {
        self.keys = keys
    }

    /// - Parameter hmacSecret: the RP's client secret, required for HS256.
    public func mint(
        _ claims: OutboundLogoutClaims,
        algorithm: SigningAlgorithm,
        hmacSecret: [UInt8]? = nil,
        now: Timestamp
    ) throws -> Minted {
        let jti = Digests.randomIdentifier()
        let iat = Int(now.millisecondsSince1970 / 1000)
        let key: SigningKey?
        switch algorithm {
        case .hs256:
            guard let secret = hmacSecret, secret.count >= 32 else {
                throw Failure(description: "HS256 needs the RP's client secret of at least 32 bytes")
            }
            key = nil
        default:
            guard let active = keys.signingKey(algorithm, now: now) else {
                throw Failure(description: "no \(algorithm.rawValue) signing key is loaded")
            }
            key = active
        }
        // The core's serializer, not Foundation's JSONEncoder: this runs once per attempt, and the
        // encoder's reflection and boxing were most of minting's cost in the fan-out profile.
        // Members in sorted order, as `serialize(.object(...))` writes them, without the
        // dictionaries and the sort (callgrind: a tenth of minting besides the signature).
        var header: [(name: String, value: JSONValue)] = [("alg", .string(algorithm.rawValue))]
        if let keyID = key?.keyID { header.append(("kid", .string(keyID))) }
        header.append(("typ", "logout+jwt"))
        var body: [(name: String, value: JSONValue)] = [
            ("aud", .string(claims.audience)), ("events", Self.events), ("exp", .number(Double(iat + Self.lifetime))),
            ("iat", .number(Double(iat))), ("iss", .string(claims.issuer)), ("jti", .string(jti)),
        ]
        if let sessionID = claims.sessionID { body.append(("sid", .string(sessionID))) }
        if let subject = claims.subject { body.append(("sub", .string(subject))) }
        body.append(("txn", .string(claims.transaction)))
        let signingInput =
            Base64URL.encode(JSONSerializer.serializeMembers(header)) + "."
            + Base64URL.encode(JSONSerializer.serializeMembers(body))
        let signature: [UInt8]
        if let key {
            signature = try key.sign(Array(signingInput.utf8))
        } else {
            let mac = HMAC<SHA256>.authenticationCode(
                for: Array(signingInput.utf8),
                using: SymmetricKey(data: hmacSecret!)
            )
            signature = Array(mac)
        }
        return Minted(token: signingInput + "." + Base64URL.encode(signature), jti: jti)
    }
}
