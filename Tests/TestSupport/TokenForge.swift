import Crypto
import Foundation
import LogoutCore
import _CryptoExtras

/// Builds logout tokens the way a notifier (honest or not) would: any header, any claims, signed
/// with any key, so tests can cover every rule, including tokens our own minter would never make.
public struct TokenForge: Sendable {
    public enum Key: Sendable {
        case es256(P256.Signing.PrivateKey, kid: String?)
        case rs256(_RSA.Signing.PrivateKey, kid: String?)
        case ps256(_RSA.Signing.PrivateKey, kid: String?)
        case edDSA(Curve25519.Signing.PrivateKey, kid: String?)
        case hs256([UInt8])
        /// No signature at all (`alg: none` tests).
        case unsigned
    }

    public static let event = "http://schemas.openid.net/event/backchannel-logout"

    public static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }

    public static func json(_ value: JSONValue) -> String { JSONSerializer.string(value) }

    /// Signs `header` and `payload` given as raw JSON text (so duplicates can be forged).
    public static func sign(header: String, payload: String, with key: Key) throws -> String {
        let input = segment(header) + "." + segment(payload)
        let data = Array(input.utf8)
        let signature: [UInt8]
        switch key {
        case .es256(let key, _): signature = Array(try key.signature(for: SHA256.hash(data: data)).rawRepresentation)
        case .rs256(let key, _):
            signature = Array(
                try key.signature(for: SHA256.hash(data: data), padding: .insecurePKCS1v1_5).rawRepresentation
            )
        case .ps256(let key, _):
            signature = Array(try key.signature(for: SHA256.hash(data: data), padding: .PSS).rawRepresentation)
        case .edDSA(let key, _): signature = Array(try key.signature(for: data))
        case .hs256(let secret):
            signature = Array(HMAC<SHA256>.authenticationCode(for: data, using: SymmetricKey(data: secret)))
        case .unsigned: return input + "."
        }
        return input + "." + Base64URL.encode(signature)
    }

    public static func algorithm(of key: Key) -> String {
        switch key {
        case .es256: return "ES256"
        case .rs256: return "RS256"
        case .ps256: return "PS256"
        case .edDSA: return "EdDSA"
        case .hs256: return "HS256"
        case .unsigned: return "none"
        }
    }

    public static func keyID(of key: Key) -> String? {
        switch key {
        case .es256(_, let kid), .rs256(_, let kid), .ps256(_, let kid), .edDSA(_, let kid): return kid
        case .hs256, .unsigned: return nil
        }
    }

    /// A standard logout token: the claims a conformant IdP sends, with `changes` applied
    /// (`nil` removes a member).
    public static func logoutToken(
        issuer: String,
        audience: String,
        sub: String? = "user-1",
        sid: String? = "session-1",
        jti: String = UUID().uuidString,
        iat: Date = Date(),
        claims changes: [String: JSONValue?] = [:],
        header headerChanges: [String: JSONValue?] = [:],
        key: Key
    ) throws -> String {
        var claims: [String: JSONValue] = [
            "iss": .string(issuer),
            "aud": .string(audience),
            "iat": .number(iat.timeIntervalSince1970.rounded(.down)),
            "exp": .number(iat.timeIntervalSince1970.rounded(.down) + 120),
            "jti": .string(jti),
            "events": .object([event: [:]]),
        ]
        if let sub { claims["sub"] = .string(sub) }
        if let sid { claims["sid"] = .string(sid) }
        for (name, value) in changes { claims[name] = value }
        var header: [String: JSONValue] = ["alg": .string(algorithm(of: key)), "typ": "logout+jwt"]
        if let kid = keyID(of: key) { header["kid"] = .string(kid) }
        for (name, value) in headerChanges { header[name] = value }
        return try sign(header: json(.object(header)), payload: json(.object(claims)), with: key)
    }

    /// The public JWK of a key, as an IdP would publish it.
    public static func publicJWK(_ key: Key, includeAlg: Bool = true) throws -> JSONValue {
        var jwk: [String: JSONValue]
        switch key {
        case .es256(let key, let kid):
            let raw = Array(key.publicKey.rawRepresentation)
            jwk = [
                "kty": "EC", "crv": "P-256", "x": .string(Base64URL.encode(raw[0..<32])),
                "y": .string(Base64URL.encode(raw[32..<64])),
            ]
            if let kid { jwk["kid"] = .string(kid) }
        case .rs256(let key, let kid), .ps256(let key, let kid):
            let primitives = try key.publicKey.getKeyPrimitives()
            jwk = [
                "kty": "RSA", "n": .string(Base64URL.encode(primitives.modulus)),
                "e": .string(Base64URL.encode(primitives.publicExponent)),
            ]
            if let kid { jwk["kid"] = .string(kid) }
        case .edDSA(let key, let kid):
            jwk = ["kty": "OKP", "crv": "Ed25519", "x": .string(Base64URL.encode(key.publicKey.rawRepresentation))]
            if let kid { jwk["kid"] = .string(kid) }
        case .hs256, .unsigned:
            throw CocoaError(.featureUnsupported)
        }
        if includeAlg { jwk["alg"] = .string(algorithm(of: key)) }
        jwk["use"] = "sig"
        return .object(jwk)
    }

    public static func jwks(_ keys: [Key]) throws -> JSONValue {
        ["keys": .array(try keys.map { try publicJWK($0) })]
    }

    public static func newES256(kid: String? = "es-1") -> Key { .es256(P256.Signing.PrivateKey(), kid: kid) }
    public static func newRS256(kid: String? = "rs-1") throws -> Key {
        .rs256(try _RSA.Signing.PrivateKey(keySize: .bits2048), kid: kid)
    }
    public static func newEdDSA(kid: String? = "ed-1") -> Key { .edDSA(Curve25519.Signing.PrivateKey(), kid: kid) }
}
