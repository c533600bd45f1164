import LogoutCore
import Testing

/// BR-2, BR-9: the rules of an `id_token_hint` other than its signature (checked with the
/// issuer's keys) and its RP (checked against the registry).
@Suite struct IdTokenHintValidatorTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let seconds = 1_800_000_000.0
    static let policy = IssuerPolicy(
        name: "idp",
        issuer: "https://idp.example",
        audience: "logoutd",
        algorithms: [.es256, .rs256],
        trust: .keys
    )

    static func claims(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "iss": "https://idp.example",
            "aud": "shop",
            "sub": "user",
            "sid": "s1",
            "iat": .number(seconds - 3600),
            "exp": .number(seconds - 3000),
            "nonce": "n",
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    static func check(_ claims: [String: JSONValue]) throws(TokenRejection) -> IdTokenHint {
        try IdTokenHintValidator.checkClaims(claims, policy: policy, now: now, maximumExpiredAge: .seconds(86_400))
    }

    @Test(
        arguments: [
            ("alg none", ["alg": "none"], "BR-2"),
            ("alg none in capitals", ["alg": "NONE"], "BR-2"),
            ("an alg the issuer does not use", ["alg": "HS256"], "BR-2"),
            ("a logout token's typ", ["alg": "ES256", "typ": "logout+jwt"], "BR-2"),
            ("a key in the header", ["alg": "ES256", "jwk": ["kty": "EC"]], "BR-2"),
            ("crit", ["alg": "ES256", "crit": ["exp"]], "BR-2"),
        ] as [(String, [String: JSONValue], String)]
    )
    func refusesHeader(name: String, header: [String: JSONValue], rule: String) {
        do {
            _ = try IdTokenHintValidator.checkHeader(header, policy: Self.policy)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name): \(error)")
        }
    }

    @Test func acceptsIDTokenHeaders() throws {
        for header: [String: JSONValue] in [["alg": "ES256", "kid": "k"], ["alg": "RS256", "typ": "JWT"]] {
            _ = try IdTokenHintValidator.checkHeader(header, policy: Self.policy)
        }
    }

    @Test(
        arguments: [
            ("another issuer", claims(["iss": "https://other.example"]), "BR-2"),
            ("no iss", claims(["iss": nil]), "BR-2"),
            ("a logout token", claims(["events": ["http://schemas.openid.net/event/backchannel-logout": [:]]]), "BR-9"),
            (
                "a SET",
                claims(["events": ["https://schemas.openid.net/secevent/caep/event-type/session-revoked": [:]]]), "BR-9"
            ),
            ("no sub", claims(["sub": nil]), "BR-2"),
            ("a NUL in sub", claims(["sub": "alice\u{0}zz"]), "BR-2"),
            ("sid not a string", claims(["sid": 7]), "BR-2"),
            ("no aud", claims(["aud": nil]), "BR-2"),
            ("aud with a number", claims(["aud": ["shop", 3]]), "BR-2"),
            ("empty aud", claims(["aud": .array([])]), "BR-2"),
            ("no exp", claims(["exp": nil]), "BR-2"),
            ("expired longer ago than allowed", claims(["exp": .number(seconds - 86_400 - 61)]), "BR-2"),
            ("iat in the future", claims(["iat": .number(seconds + 600)]), "BR-9"),
            ("iat in the future beyond the skew", claims(["iat": .number(seconds + 61)]), "BR-9"),
            ("no iat", claims(["iat": nil]), "BR-9"),
            ("iat not a number", claims(["iat": "yesterday"]), "BR-9"),
            ("exp not finite", claims(["exp": .number(.infinity)]), "BR-2"),
            ("exp more than a year ahead", claims(["exp": .number(seconds + 367 * 86_400)]), "BR-9"),
            ("exp centuries ahead", claims(["exp": .number(1e300)]), "BR-9"),
        ] as [(String, [String: JSONValue], String)]
    )
    func refusesClaims(name: String, claims: [String: JSONValue], rule: String) {
        do {
            _ = try Self.check(claims)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name): \(error)")
        }
    }

    @Test func acceptsAnExpiredHintWithinTheBoundAndReadsItsClaims() throws {
        #expect(
            try Self.check(Self.claims())
                == IdTokenHint(
                    iss: "https://idp.example",
                    sub: "user",
                    sid: "s1",
                    audiences: ["shop"],
                    expiresAt: Timestamp(secondsSince1970: Self.seconds - 3000)
                )
        )
        _ = try Self.check(Self.claims(["iat": .number(Self.seconds + 59)]))
        let several = try Self.check(Self.claims(["aud": ["shop", "billing"], "azp": "shop", "sid": nil]))
        #expect(several.audiences == ["shop", "billing"] && several.authorizedParty == "shop" && several.sid == nil)
        _ = try Self.check(Self.claims(["exp": .number(Self.seconds - 86_400 + 30)]))
        _ = try Self.check(Self.claims(["exp": .number(Self.seconds + 300)]))
    }
}
