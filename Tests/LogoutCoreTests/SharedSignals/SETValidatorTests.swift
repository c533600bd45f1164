import LogoutCore
import Testing

/// SSF-5: SETs pushed to us (RFC 8935 §2, RFC 8417, SSF §4, CAEP §3.1), refused with RFC 8935's
/// error codes.
@Suite struct SETValidatorTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let seconds = 1_800_000_000.0
    static let issuer = "https://idp.example.com/123456789/"
    static let policy = IssuerPolicy(
        name: "idp",
        issuer: issuer,
        audience: "logoutd",
        algorithms: [.rs256],
        trust: .keys
    )
    static let revoked = SSFEventType.sessionRevoked.rawValue

    static func header(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var header: [String: JSONValue] = ["alg": "RS256", "kid": "k1", "typ": "secevent+jwt"]
        for (name, value) in changes { header[name] = value }
        return header
    }

    /// CAEP §3.1's second example, sent to us now.
    static func claims(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims = ssfJSON(
            """
            {"iss":"https://idp.example.com/123456789/","jti":"24c63fb56e5a2d77a6b512616ca9fa24","iat":1800000000,
             "aud":"https://logout.example","txn":"8675309",
             "sub_id":{"format":"complex","session":{"format":"opaque","id":"dMTlD|1600802906337.16|16008.16"},
               "user":{"format":"iss_sub","iss":"https://idp.example.com/123456789/","sub":"99beb27c-c1c2-4955-882a-e0dc4996fcbc"},
               "tenant":{"format":"opaque","id":"123456789"}},
             "events":{"https://schemas.openid.net/secevent/caep/event-type/session-revoked":{
               "initiating_entity":"policy","reason_admin":{"en":"Landspeed Policy Violation: C076E82F"},
               "reason_user":{"en":"Access attempt from multiple regions.","es-410":"Intento de acceso desde varias regiones."},
               "event_timestamp":1615304991}}}
            """
        ).objectValue!
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    static func check(_ claims: [String: JSONValue]) throws(SETRejection) -> ReceivedSET {
        try SETValidator.checkClaims(claims, policy: policy, audience: "https://logout.example", now: now)
    }

    @Test(
        arguments: [
            ("SSF §4.1.1 typ missing", header(["typ": nil]), SETErrorCode.invalidRequest),
            ("SSF §4.1.1 typ logout+jwt (a logout token is not a SET)", header(["typ": "logout+jwt"]), .invalidRequest),
            ("SSF §4.1.1 typ JWT", header(["typ": "JWT"]), .invalidRequest),
            ("RFC 8725 alg none", header(["alg": "none"]), .invalidKey),
            ("alg not allowed for the issuer", header(["alg": "ES256"]), .invalidKey),
            ("RS256→HS256 confusion", header(["alg": "HS256"]), .invalidKey),
            ("jku", header(["jku": "https://evil.example/jwks"]), .invalidRequest),
            ("x5u", header(["x5u": "https://evil.example/c"]), .invalidRequest),
            ("jwk", header(["jwk": ["kty": "RSA"]]), .invalidRequest),
            ("x5c", header(["x5c": ["MII"]]), .invalidRequest),
            ("crit", header(["crit": ["b64"]]), .invalidRequest),
            ("kid with NUL", header(["kid": "k\u{0}"]), .invalidRequest),
        ] as [(String, [String: JSONValue], SETErrorCode)]
    )
    func refusesHeader(rule: String, header: [String: JSONValue], err: SETErrorCode) {
        do {
            _ = try SETValidator.checkHeader(header, policy: Self.policy)
            Issue.record("\(rule) was accepted")
        } catch {
            #expect(error.err == err, "\(rule)")
            #expect(error.rule == "SSF-5", "\(rule)")
        }
    }

    @Test(
        arguments: [
            ("RFC 2046 media types are case-insensitive", header(["typ": "SecEvent+JWT"])),
            ("RFC 7515 §4.1.9 application/ may be written", header(["typ": "application/secevent+jwt"])),
            ("no kid", header(["kid": nil])),
        ] as [(String, [String: JSONValue])]
    )
    func acceptsHeader(rule: String, header: [String: JSONValue]) throws {
        #expect(
            try SETValidator.checkHeader(header, policy: Self.policy)
                == CheckedHeader(algorithm: .rs256, keyID: header["kid"]?.stringValue),
            "\(rule)"
        )
    }

    @Test(
        arguments: [
            ("RFC 8935 §2.4 iss missing", claims(["iss": nil]), SETErrorCode.invalidIssuer),
            ("SSF §4.1.6 iss of another issuer", claims(["iss": "https://evil.example/"]), .invalidIssuer),
            ("RFC 8935 §2.4 aud missing", claims(["aud": nil]), .invalidAudience),
            ("aud of another receiver", claims(["aud": "https://sp.example.com/caep"]), .invalidAudience),
            ("aud array without us", claims(["aud": ["a", "b"]]), .invalidAudience),
            ("aud a number", claims(["aud": 1]), .invalidAudience),
            ("RFC 8417 §2.2 iat missing", claims(["iat": nil]), .invalidRequest),
            ("iat in the future", claims(["iat": .number(seconds + 120)]), .invalidRequest),
            ("iat older than the maximum age", claims(["iat": .number(seconds - 8 * 86_400)]), .invalidRequest),
            ("iat = Int64.max cannot trap", claims(["iat": .number(Double(Int64.max))]), .invalidRequest),
            ("SSF §4.1.7 exp present", claims(["exp": .number(seconds + 60)]), .invalidRequest),
            ("SSF §4.1.2 sub present", claims(["sub": "alice"]), .invalidRequest),
            ("RFC 8417 §2.2 jti missing", claims(["jti": nil]), .invalidRequest),
            ("jti too long", claims(["jti": .string(String(repeating: "j", count: 257))]), .invalidRequest),
            ("jti with a control character", claims(["jti": "a\nb"]), .invalidRequest),
            ("RFC 8417 §2.2 events missing", claims(["events": nil]), .invalidRequest),
            ("events not an object", claims(["events": .array([.string(revoked)])]), .invalidRequest),
            ("interop §2.8.1 two events", claims(["events": .object([revoked: [:], "urn:x": [:]])]), .invalidRequest),
            ("no event", claims(["events": [:]]), .invalidRequest),
            ("event member not an object", claims(["events": .object([revoked: true])]), .invalidRequest),
            ("SSF §3.1 sub_id missing", claims(["sub_id": nil]), .invalidRequest),
            ("sub_id without format", claims(["sub_id": ["iss": "x"]]), .invalidRequest),
            (
                "session-revoked with a broken iss_sub", claims(["sub_id": ["format": "iss_sub", "iss": "x"]]),
                .invalidRequest
            ),
            (
                "SSF §8.1.4.1 verification sub_id must be opaque",
                claims([
                    "sub_id": ["format": "email", "email": "a@b"],
                    "events": .object([SSFEventType.verification.rawValue: [:]]),
                ]),
                .invalidRequest
            ),
            (
                "SSF §8.1.5 stream-updated needs a status",
                claims([
                    "sub_id": ["format": "opaque", "id": "s"],
                    "events": .object([SSFEventType.streamUpdated.rawValue: ["status": "on"]]),
                ]),
                .invalidRequest
            ),
        ] as [(String, [String: JSONValue], SETErrorCode)]
    )
    func refusesClaims(rule: String, claims: [String: JSONValue], err: SETErrorCode) {
        do {
            _ = try Self.check(claims)
            Issue.record("\(rule) was accepted")
        } catch {
            #expect(error.err == err, "\(rule)")
            #expect(error.rule == "SSF-5", "\(rule)")
            #expect(error.body.json["err"] == .string(err.rawValue), "\(rule)")
        }
    }
}
