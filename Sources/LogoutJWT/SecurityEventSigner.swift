import Foundation
import LogoutCore

/// Signs Security Event Tokens (RFC 8417) with our RS256 key (SSF-3: the CAEP interoperability
/// profile requires RS256 with a key of at least 2048 bits; ours are 2048-bit keys published in
/// the same JWKS as the logout tokens' keys, rotated on the same schedule).
///
/// A SET keeps its `jti` and `iat` across retries and polls (receivers recognise a repeat by its
/// `jti`); PKCS#1 v1.5 signatures are deterministic, so the same claims under the same key give
/// the same token, and the store keeps claims, never a signed token.
public struct SecurityEventSigner: Sendable {
    public static let type = "secevent+jwt"

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    private let keys: SigningKeyring

    public init(keys: SigningKeyring) {
        self.keys = keys
    }

    public func sign(_ claims: [String: JSONValue], now: Timestamp) throws -> String {
        guard let key = keys.signingKey(.rs256, now: now) else {
            throw Failure(description: "no RS256 signing key is loaded (SETs are signed RS256)")
        }
        let header: [String: JSONValue] = [
            "alg": .string(SigningAlgorithm.rs256.rawValue), "typ": .string(Self.type), "kid": .string(key.keyID),
        ]
        let signingInput =
            Base64URL.encode(JSONSerializer.serialize(.object(header))) + "."
            + Base64URL.encode(JSONSerializer.serialize(.object(claims)))
        return signingInput + "." + Base64URL.encode(try key.sign(Array(signingInput.utf8)))
    }
}
