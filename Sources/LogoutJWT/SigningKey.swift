import Crypto
import Foundation
import LogoutCore
import _CryptoExtras

/// One of our private signing keys, with the public JWK we publish for it (OUT-4).
public struct SigningKey: Sendable {
    enum Material: Sendable {
        case p256(P256.Signing.PrivateKey)
        case rsa(_RSA.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
    }

    public let algorithm: SigningAlgorithm
    /// The RFC 7638 thumbprint of the public key: stable, and derived from the key itself so a
    /// copied key directory can never disagree with its own `kid`s.
    public let keyID: String
    /// Public members in RFC 7638 order, before `kid`, `alg` and `use` are added.
    let publicMembers: [(String, String)]
    let material: Material

    init(material: Material) {
        self.material = material
        switch material {
        case .p256(let key):
            let raw = [UInt8](key.publicKey.rawRepresentation)
            algorithm = .es256
            publicMembers = [
                ("crv", "P-256"), ("kty", "EC"),
                ("x", Base64URL.encode(raw[0..<32])), ("y", Base64URL.encode(raw[32..<64])),
            ]
        case .rsa(let key):
            let primitives = try? key.publicKey.getKeyPrimitives()
            algorithm = .rs256
            publicMembers = [
                ("e", Base64URL.encode(primitives?.publicExponent ?? Data())), ("kty", "RSA"),
                ("n", Base64URL.encode(primitives?.modulus ?? Data())),
            ]
        case .ed25519(let key):
            algorithm = .edDSA
            publicMembers = [
                ("crv", "Ed25519"), ("kty", "OKP"), ("x", Base64URL.encode(key.publicKey.rawRepresentation)),
            ]
        }
        let canonical = "{" + publicMembers.map { "\"\($0.0)\":\"\($0.1)\"" }.joined(separator: ",") + "}"
        keyID = Base64URL.encode(SHA256.hash(data: Array(canonical.utf8)))
    }

    /// The JWK to publish at our `jwks_uri`.
    public var publicJWK: [String: String] {
        var jwk = Dictionary(uniqueKeysWithValues: publicMembers)
        jwk["kid"] = keyID
        jwk["alg"] = algorithm.rawValue
        jwk["use"] = "sig"
        return jwk
    }

    func sign(_ input: [UInt8]) throws -> [UInt8] {
        switch material {
        case .p256(let key):
            return [UInt8](try key.signature(for: SHA256.hash(data: input)).rawRepresentation)
        case .rsa(let key):
            return [UInt8](
                try key.signature(for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5).rawRepresentation
            )
        case .ed25519(let key):
            return [UInt8](try key.signature(for: input))
        }
    }

    /// The file representation: PEM for ECDSA and RSA, a PEM-like wrapper of the raw seed for
    /// Ed25519 (swift-crypto has no PKCS#8 for Curve25519).
    var fileContents: String {
        switch material {
        case .p256(let key): return key.pemRepresentation + "\n"
        case .rsa(let key): return key.pemRepresentation + "\n"
        case .ed25519(let key):
            return "-----BEGIN ED25519 PRIVATE KEY-----\n" + key.rawRepresentation.base64EncodedString()
                + "\n-----END ED25519 PRIVATE KEY-----\n"
        }
    }

    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKey {
        switch algorithm {
        case .es256: return SigningKey(material: .p256(P256.Signing.PrivateKey()))
        case .rs256: return SigningKey(material: .rsa(try _RSA.Signing.PrivateKey(keySize: .bits2048)))
        case .edDSA: return SigningKey(material: .ed25519(Curve25519.Signing.PrivateKey()))
        case .hs256: throw SigningKeyStore.Failure(description: "HS256 uses the RP's client secret, not a key of ours")
        }
    }

    static func load(_ contents: String, algorithm: SigningAlgorithm) throws -> SigningKey {
        switch algorithm {
        case .es256: return SigningKey(material: .p256(try P256.Signing.PrivateKey(pemRepresentation: contents)))
        case .rs256: return SigningKey(material: .rsa(try _RSA.Signing.PrivateKey(pemRepresentation: contents)))
        case .edDSA:
            let body = contents.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            guard let seed = Data(base64Encoded: body) else {
                throw SigningKeyStore.Failure(description: "invalid Ed25519 key file")
            }
            return SigningKey(material: .ed25519(try Curve25519.Signing.PrivateKey(rawRepresentation: seed)))
        case .hs256: throw SigningKeyStore.Failure(description: "HS256 keys are not stored as files")
        }
    }
}
