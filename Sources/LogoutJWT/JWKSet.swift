import Crypto
import Foundation
import LogoutCore
import _CryptoExtras

/// An issuer's verification keys, parsed and filtered by us.
///
/// jwt-kit refuses a whole JWKS when one key has a type it does not model; issuers routinely
/// publish encryption keys and `oct` keys beside their signing keys, so each key is judged alone
/// and the ones we cannot or must not use are skipped with a reason an admin can read.
public struct JWKSet: Sendable {
    public static let maximumKeys = 32

    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
    }

    public let keys: [VerificationKey]
    /// Why keys were left out, for the admin API's validation messages.
    public let skipped: [String]

    public init(keys: [VerificationKey], skipped: [String] = []) {
        self.keys = keys
        self.skipped = skipped
    }

    public static func parse(_ bytes: [UInt8]) throws(Failure) -> JWKSet {
        let document: JSONValue
        do {
            document = try StrictJSONParser.parse(bytes)
        } catch {
            throw Failure(description: "the JWKS is not valid JSON: \(error.description)")
        }
        return try parse(document)
    }

    public static func parse(_ document: JSONValue) throws(Failure) -> JWKSet {
        guard let entries = document["keys"]?.arrayValue else {
            throw Failure(description: "the JWKS has no \"keys\" array")
        }
        guard entries.count <= maximumKeys else {
            throw Failure(description: "the JWKS has \(entries.count) keys; at most \(maximumKeys) are accepted")
        }
        var keys: [VerificationKey] = []
        var skipped: [String] = []
        for (position, entry) in entries.enumerated() {
            do {
                keys.append(try parseKey(entry))
            } catch {
                let kid = entry["kid"]?.stringValue.map { " (kid \($0.prefix(64)))" } ?? ""
                skipped.append("key \(position)\(kid): \(error.description)")
            }
        }
        return JWKSet(keys: keys, skipped: skipped)
    }

    static func parseKey(_ entry: JSONValue) throws(Failure) -> VerificationKey {
        guard let jwk = entry.objectValue else { throw Failure(description: "not a JSON object") }
        guard let kty = jwk["kty"]?.stringValue else { throw Failure(description: "no kty") }
        if let use = jwk["use"] {
            guard use.stringValue == "sig" else { throw Failure(description: "not a signing key (use)") }
        }
        if let ops = jwk["key_ops"] {
            guard let list = ops.arrayValue, list.contains(.string("verify")) else {
                throw Failure(description: "key_ops does not allow verify")
            }
        }
        var kid: String?
        if let value = jwk["kid"] {
            guard let string = value.stringValue, !string.isEmpty,
                string.count <= LogoutTokenValidator.maximumKeyIDLength
            else { throw Failure(description: "kid must be a string of 1 to 128 characters") }
            kid = string
        }
        var declared: JWSAlgorithm?
        if let alg = jwk["alg"] {
            guard let name = alg.stringValue, let algorithm = JWSAlgorithm(rawValue: name), !algorithm.isSymmetric
            else { throw Failure(description: "unsupported alg") }
            declared = algorithm
        }

        let material: VerificationKey.Material
        var family: Set<JWSAlgorithm>
        do {
            switch kty {
            case "RSA":
                let n = try component(jwk, "n")
                let e = try component(jwk, "e")
                guard let key = try? _RSA.Signing.PublicKey(n: n, e: e) else {
                    throw Failure(description: "invalid RSA key or shorter than 2048 bits")
                }
                material = .rsa(key)
                family = [.rs256, .rs384, .rs512, .ps256, .ps384, .ps512]
            case "EC":
                let x = try component(jwk, "x")
                let y = try component(jwk, "y")
                switch jwk["crv"]?.stringValue {
                case "P-256":
                    guard x.count == 32, y.count == 32, let key = try? P256.Signing.PublicKey(rawRepresentation: x + y)
                    else { throw Failure(description: "invalid P-256 key") }
                    material = .p256(key)
                    family = [.es256]
                case "P-384":
                    guard x.count == 48, y.count == 48, let key = try? P384.Signing.PublicKey(rawRepresentation: x + y)
                    else { throw Failure(description: "invalid P-384 key") }
                    material = .p384(key)
                    family = [.es384]
                case "P-521":
                    guard x.count == 66, y.count == 66, let key = try? P521.Signing.PublicKey(rawRepresentation: x + y)
                    else { throw Failure(description: "invalid P-521 key") }
                    material = .p521(key)
                    family = [.es512]
                default:
                    throw Failure(description: "unsupported EC curve")
                }
            case "OKP":
                guard jwk["crv"]?.stringValue == "Ed25519" else { throw Failure(description: "unsupported OKP curve") }
                let x = try component(jwk, "x")
                guard x.count == 32, let key = try? Curve25519.Signing.PublicKey(rawRepresentation: x) else {
                    throw Failure(description: "invalid Ed25519 key")
                }
                material = .ed25519(key)
                family = [.edDSA]
            default:
                throw Failure(description: "unsupported key type \(kty.prefix(16))")
            }
        }
        if let declared {
            guard family.contains(declared) else {
                throw Failure(description: "alg \(declared.rawValue) does not fit kty \(kty)")
            }
            family = [declared]
        }
        return VerificationKey(keyID: kid, algorithms: family, material: material)
    }

    private static func component(_ jwk: [String: JSONValue], _ name: String) throws(Failure) -> [UInt8] {
        guard let text = jwk[name]?.stringValue, let bytes = Base64URL.decode(text), !bytes.isEmpty else {
            throw Failure(description: "missing or invalid \(name)")
        }
        return bytes
    }

    /// Keys that may verify a token with this header. An unknown `kid` yields none: it never falls
    /// back to another key (jwt-kit's default-key fallback is one of the traps we avoid).
    public func candidates(keyID: String?, algorithm: JWSAlgorithm) -> [VerificationKey] {
        keys.filter { key in
            key.algorithms.contains(algorithm) && (keyID == nil || key.keyID == keyID)
        }
    }

    public func contains(keyID: String) -> Bool {
        keys.contains { $0.keyID == keyID }
    }
}
