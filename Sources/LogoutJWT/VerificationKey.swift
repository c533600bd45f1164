import Crypto
import Foundation
import LogoutCore
import _CryptoExtras

/// A public key taken from an issuer's JWKS, bound to the algorithms it may verify.
///
/// The binding is the point: jwt-kit would take the algorithm from the token header, so a key
/// with no `alg` could be used with whatever algorithm a forger names (see stack notes). Here the
/// key type and curve fix the algorithm family, and the JWK's own `alg`, when present, narrows it.
public struct VerificationKey: Sendable {
    enum Material: Sendable {
        case rsa(_RSA.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
        case p384(P384.Signing.PublicKey)
        case p521(P521.Signing.PublicKey)
        case ed25519(Curve25519.Signing.PublicKey)
    }

    public let keyID: String?
    public let algorithms: Set<JWSAlgorithm>
    let material: Material

    init(keyID: String?, algorithms: Set<JWSAlgorithm>, material: Material) {
        self.keyID = keyID
        self.algorithms = algorithms
        self.material = material
    }

    /// Checks a JWS signature. ECDSA signatures must be exactly r‖s of the curve's size
    /// (IN-4, CVE-2022-21449): a DER or zero signature never reaches the verifier.
    public func isValidSignature(_ signature: [UInt8], for input: [UInt8], algorithm: JWSAlgorithm) -> Bool {
        guard algorithms.contains(algorithm) else { return false }
        switch (material, algorithm) {
        case (.p256(let key), .es256):
            guard signature.count == 64, let sig = try? P256.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(sig, for: SHA256.hash(data: input))
        case (.p384(let key), .es384):
            guard signature.count == 96, let sig = try? P384.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(sig, for: SHA384.hash(data: input))
        case (.p521(let key), .es512):
            guard signature.count == 132, let sig = try? P521.Signing.ECDSASignature(rawRepresentation: signature)
            else { return false }
            return key.isValidSignature(sig, for: SHA512.hash(data: input))
        case (.ed25519(let key), .edDSA):
            guard signature.count == 64 else { return false }
            return key.isValidSignature(signature, for: input)
        case (.rsa(let key), _):
            guard signature.count == key.keySizeInBits / 8 else { return false }
            let sig = _RSA.Signing.RSASignature(rawRepresentation: signature)
            switch algorithm {
            case .rs256: return key.isValidSignature(sig, for: SHA256.hash(data: input), padding: .insecurePKCS1v1_5)
            case .rs384: return key.isValidSignature(sig, for: SHA384.hash(data: input), padding: .insecurePKCS1v1_5)
            case .rs512: return key.isValidSignature(sig, for: SHA512.hash(data: input), padding: .insecurePKCS1v1_5)
            case .ps256: return key.isValidSignature(sig, for: SHA256.hash(data: input), padding: .PSS)
            case .ps384: return key.isValidSignature(sig, for: SHA384.hash(data: input), padding: .PSS)
            case .ps512: return key.isValidSignature(sig, for: SHA512.hash(data: input), padding: .PSS)
            default: return false
            }
        default:
            return false
        }
    }
}
