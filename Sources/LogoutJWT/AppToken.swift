import Crypto
import Foundation
import LogoutCore

/// An HS256 app token the way the Logora doc describes them (and a generic JWT library writes
/// them): `typ: JWT`, `sub` = the app's user id, `aud`, `iat`, and `iss` when given. For the
/// tour, and for app developers' tests.
public enum AppToken {
    public static func mint(
        subject: String,
        audience: String,
        issuer: String?,
        secret: [UInt8],
        now: Timestamp,
        jti: String? = Digests.randomIdentifier()
    ) -> String {
        var claims: [String: JSONValue] = [
            "sub": .string(subject), "aud": .string(audience), "iat": .number(Double(now.millisecondsSince1970 / 1000)),
        ]
        if let issuer { claims["iss"] = .string(issuer) }
        if let jti { claims["jti"] = .string(jti) }
        let header = Base64URL.encode(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let payload = Base64URL.encode(JSONSerializer.serialize(.object(claims)))
        let input = header + "." + payload
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: secret))
        return input + "." + Base64URL.encode(Array(mac))
    }
}
