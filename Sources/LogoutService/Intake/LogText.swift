import Logging
import LogoutCore
import LogoutJWT

/// Log metadata about a token that may not be valid: values taken from it (`alg`, `kid`, `iss`)
/// are made printable and short before they reach a log line (SEC-6), and the token itself is
/// only ever named by a hash prefix (SEC-1).
enum LogText {
    static func tokenMetadata(_ jws: CompactJWS?, issuer: String, token: String) -> Logger.Metadata {
        func field(_ value: JSONValue?, limit: Int) -> Logger.MetadataValue {
            "\(value?.stringValue.map { SafeText.printable($0, limit: limit) } ?? "-")"
        }
        return [
            "issuer": "\(issuer)",
            "alg": field(jws?.header["alg"], limit: 16),
            "kid": field(jws?.header["kid"], limit: 64),
            "iss": field(jws?.payload["iss"], limit: 128),
            "token_hash": "\(Digests.tokenHash(token).prefix(16))",
        ]
    }
}
