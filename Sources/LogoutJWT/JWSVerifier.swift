import Crypto
import LogoutCore

/// Checks the signature of a parsed token against the keys registration gave its issuer.
public enum JWSVerifier {
    public enum Outcome: Sendable, Equatable {
        case valid
        case invalidSignature
        /// No key has this `kid`: the caller may refresh the issuer's JWKS once and try again.
        case unknownKeyID(String)
        /// No key of the issuer can verify this algorithm.
        case noUsableKey
    }

    public static func verify(_ jws: CompactJWS, header: CheckedHeader, keys: JWKSet) -> Outcome {
        let candidates = keys.candidates(keyID: header.keyID, algorithm: header.algorithm)
        if candidates.isEmpty {
            if let kid = header.keyID, !keys.contains(keyID: kid) {
                return .unknownKeyID(kid)
            }
            return .noUsableKey
        }
        for key in candidates
        where key.isValidSignature(jws.signature, for: jws.signingInput, algorithm: header.algorithm) {
            return .valid
        }
        return .invalidSignature
    }

    /// HS256/384/512 with a shared secret; the MAC comparison is constant time.
    public static func verify(_ jws: CompactJWS, header: CheckedHeader, sharedSecret: [UInt8]) -> Outcome {
        let key = SymmetricKey(data: sharedSecret)
        let valid: Bool
        switch header.algorithm {
        case .hs256:
            valid = HMAC<SHA256>.isValidAuthenticationCode(jws.signature, authenticating: jws.signingInput, using: key)
        case .hs384:
            valid = HMAC<SHA384>.isValidAuthenticationCode(jws.signature, authenticating: jws.signingInput, using: key)
        case .hs512:
            valid = HMAC<SHA512>.isValidAuthenticationCode(jws.signature, authenticating: jws.signingInput, using: key)
        default: return .noUsableKey
        }
        return valid ? .valid : .invalidSignature
    }
}
