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

    private struct Header: Encodable {
        let alg: String
        let kid: String?
        let typ = "logout+jwt"
    }

    private struct Claims: Encodable {
        struct Events: Encodable {
            struct Empty: Encodable {}
            let backchannel = Empty()
            enum CodingKeys: String, CodingKey {
                case backchannel = "http://schemas.openid.net/event/backchannel-logout"
            }
        }
        let iss: String
        let aud: String
        let iat: Int
        let exp: Int
        let jti: String
        let events = Events()
        let sub: String?
        let sid: String?
        let txn: String
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
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let header = Header(alg: algorithm.rawValue, kid: key?.keyID)
        let body = Claims(
            iss: claims.issuer,
            aud: claims.audience,
            iat: iat,
            exp: iat + Self.lifetime,
            jti: jti,
            sub: claims.subject,
            sid: claims.sessionID,
            txn: claims.transaction
        )
        let signingInput =
            Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(body))
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
