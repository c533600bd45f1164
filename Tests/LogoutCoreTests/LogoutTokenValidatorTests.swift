import LogoutCore
import Testing

@Suite struct LogoutTokenValidatorTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let seconds = 1_800_000_000.0
    static let event = LogoutClaims.backchannelLogoutEvent
    static let keys = IssuerPolicy(
        name: "idp",
        issuer: "https://idp.example",
        audience: "logoutd",
        algorithms: [.es256, .rs256],
        trust: .keys
    )
    static let app = IssuerPolicy(
        name: "app",
        issuer: "https://app.example",
        audience: "logoutd",
        algorithms: [.hs256],
        trust: .sharedSecret
    )

    static func claims(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "iss": "https://idp.example",
            "aud": "logoutd",
            "iat": .number(seconds - 5),
            "exp": .number(seconds + 115),
            "jti": "abc",
            "sub": "user",
            "sid": "session",
            "events": .object([event: [:]]),
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    static func header(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var header: [String: JSONValue] = ["alg": "ES256", "kid": "k1", "typ": "logout+jwt"]
        for (name, value) in changes { header[name] = value }
        return header
    }

    // MARK: Header rules

    @Test(
        arguments: [
            ("alg none", header(["alg": "none"]), "IN-4"),
            ("alg NONE", header(["alg": "NONE"]), "IN-4"),
            ("alg missing", header(["alg": nil]), "IN-4"),
            ("alg not allowed", header(["alg": "ES384"]), "IN-4"),
            ("HS256 to a keys issuer (RS256→HS256 confusion)", header(["alg": "HS256"]), "IN-4"),
            ("jku", header(["jku": "https://evil.example/jwks"]), "IN-5"),
            ("x5u", header(["x5u": "https://evil.example/cert"]), "IN-5"),
            ("jwk", header(["jwk": ["kty": "oct"]]), "IN-5"),
            ("x5c", header(["x5c": ["MII"]]), "IN-5"),
            ("crit", header(["crit": ["b64"]]), "IN-5"),
            ("kid not a string", header(["kid": 1]), "IN-5"),
            ("kid too long", header(["kid": .string(String(repeating: "k", count: 129))]), "IN-5"),
            ("typ JWT under the default policy", header(["typ": "JWT"]), "IN-7"),
            ("typ other", header(["typ": "at+jwt"]), "IN-7"),
            ("typ not a string", header(["typ": 1]), "IN-7"),
            ("kid with NUL", header(["kid": "k1\u{0}x"]), "IN-14"),
            ("kid with DEL", header(["kid": "k1\u{7F}"]), "IN-14"),
        ] as [(String, [String: JSONValue], String)]
    )
    func refusesHeader(name: String, header: [String: JSONValue], rule: String) {
        do {
            _ = try LogoutTokenValidator.checkHeader(header, policy: Self.keys)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name)")
        }
    }

    @Test(
        arguments: [
            ("typ logout+jwt", header()),
            ("typ absent", header(["typ": nil])),
            ("typ with application/ prefix, any case", header(["typ": "Application/Logout+JWT"])),
            ("no kid", header(["kid": nil])),
            ("unknown harmless member", header(["cty": "x"])),
        ] as [(String, [String: JSONValue])]
    )
    func acceptsHeader(name: String, header: [String: JSONValue]) throws {
        let checked = try LogoutTokenValidator.checkHeader(header, policy: Self.keys)
        #expect(checked.algorithm == .es256, "\(name)")
    }

    @Test func typPolicies() throws {
        let strict = IssuerPolicy(
            name: "s",
            issuer: "i",
            audience: "a",
            algorithms: [.es256],
            typPolicy: .strict,
            trust: .keys
        )
        let legacy = IssuerPolicy(
            name: "l",
            issuer: "i",
            audience: "a",
            algorithms: [.es256],
            typPolicy: .legacy,
            trust: .keys
        )
        #expect(Self.headerRule(Self.header(["typ": nil]), strict) == "IN-7")
        _ = try LogoutTokenValidator.checkHeader(Self.header(), policy: strict)
        _ = try LogoutTokenValidator.checkHeader(Self.header(["typ": "JWT"]), policy: legacy)
        #expect(Self.headerRule(Self.header(["typ": "JOSE"]), legacy) == "IN-7")
    }

    /// IN-7: generic JWT libraries write typ JWT; shared-secret issuers accept it by default,
    /// issuers with keys only under the legacy policy, nobody under the strict one.
    @Test(
        arguments: [
            (TypPolicy.default, IssuerPolicy.Trust.sharedSecret, true),
            (.legacy, .sharedSecret, true),
            (.strict, .sharedSecret, false),
            (.default, .keys, false),
            (.legacy, .keys, true),
            (.strict, .keys, false),
        ]
    )
    func typJWT(policy: TypPolicy, trust: IssuerPolicy.Trust, accepted: Bool) {
        let issuer = IssuerPolicy(
            name: "x",
            issuer: "i",
            audience: "a",
            algorithms: trust == .keys ? [.es256] : [.hs256],
            typPolicy: policy,
            trust: trust
        )
        let header = Self.header(["typ": "JWT", "alg": trust == .keys ? "ES256" : "HS256"])
        // Accepted, or refused for its typ: never for another rule of a header that only differs in typ.
        #expect(Self.headerRule(header, issuer) == (accepted ? nil : "IN-7"), "\(policy) \(trust)")
    }

    @Test func sharedSecretIssuersOnlyTakeHMAC() throws {
        _ = try LogoutTokenValidator.checkHeader(Self.header(["alg": "HS256"]), policy: Self.app)
        #expect(Self.headerRule(Self.header(), Self.app) == "IN-4")
    }

    /// The rule a header is refused for, `nil` when it is accepted.
    static func headerRule(_ header: [String: JSONValue], _ policy: IssuerPolicy) -> String? {
        do {
            _ = try LogoutTokenValidator.checkHeader(header, policy: policy)
            return nil
        } catch {
            return error.rule
        }
    }

    // MARK: Claim rules

    @Test(
        arguments: [
            ("iss missing", claims(["iss": nil]), "IN-8"),
            ("sub with NUL (alice\\u0000zz would select alice)", claims(["sub": "alice\u{0}zz"]), "IN-14"),
            ("sid with a newline", claims(["sid": "s\nforged"]), "IN-14"),
            ("jti with a tab", claims(["jti": "a\tb"]), "IN-14"),
            ("iss with NUL", claims(["iss": "https://idp.example\u{0}"]), "IN-14"),
            ("aud with NUL", claims(["aud": "logoutd\u{0}"]), "IN-14"),
            ("aud array member with ESC", claims(["aud": ["logoutd", "x\u{1B}"]]), "IN-14"),
            ("iss other", claims(["iss": "https://evil.example"]), "IN-8"),
            ("iss with trailing slash", claims(["iss": "https://idp.example/"]), "IN-8"),
            ("aud missing", claims(["aud": nil]), "IN-9"),
            ("aud other", claims(["aud": "someone-else"]), "IN-9"),
            ("aud array without us", claims(["aud": ["a", "b"]]), "IN-9"),
            ("aud number", claims(["aud": 1]), "IN-9"),
            ("iat missing", claims(["iat": nil]), "IN-10"),
            ("iat a string", claims(["iat": "1800000000"]), "IN-10"),
            ("iat in the future", claims(["iat": .number(seconds + 120)]), "IN-10"),
            ("iat too old", claims(["iat": .number(seconds - 3600)]), "IN-10"),
            ("iat = Int64.max", claims(["iat": .number(Double(Int64.max))]), "IN-10"),
            ("iat = -Int64.max", claims(["iat": .number(-Double(Int64.max))]), "IN-10"),
            ("nbf in the future", claims(["nbf": .number(seconds + 600)]), "IN-10"),
            ("exp missing", claims(["exp": nil]), "IN-11"),
            ("expired", claims(["exp": .number(seconds - 61)]), "IN-11"),
            ("exp a string", claims(["exp": "soon"]), "IN-11"),
            ("jti missing", claims(["jti": nil]), "IN-12"),
            ("jti empty", claims(["jti": ""]), "IN-12"),
            ("jti too long", claims(["jti": .string(String(repeating: "j", count: 257))]), "IN-12"),
            ("events missing", claims(["events": nil]), "IN-13"),
            ("events not an object", claims(["events": .array([.string(event)])]), "IN-13"),
            (
                "events without the BCL member", claims(["events": ["http://schemas.openid.net/event/other": [:]]]),
                "IN-13"
            ),
            ("events member not an object", claims(["events": .object([event: "yes"])]), "IN-13"),
            ("neither sub nor sid", claims(["sub": nil, "sid": nil]), "IN-14"),
            ("sub empty", claims(["sub": ""]), "IN-14"),
            ("sid not a string", claims(["sid": 42]), "IN-14"),
            ("sub too long", claims(["sub": .string(String(repeating: "s", count: 1025))]), "IN-14"),
            ("nonce", claims(["nonce": "n"]), "IN-15"),
        ] as [(String, [String: JSONValue], String)]
    )
    func refusesClaims(name: String, claims: [String: JSONValue], rule: String) {
        do {
            _ = try LogoutTokenValidator.checkClaims(claims, policy: Self.keys, now: Self.now)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name): \(error)")
        }
    }

    @Test(
        arguments: [
            ("complete", claims()),
            ("only sid (idpyoidc)", claims(["sub": nil])),
            ("only sub", claims(["sid": nil])),
            ("aud array with us", claims(["aud": ["other", "logoutd"]])),
            ("exp a day away (idpyoidc)", claims(["exp": .number(seconds + 86_400)])),
            ("iat within skew in the future", claims(["iat": .number(seconds + 30)])),
            ("fractional iat", claims(["iat": .number(seconds - 1.5)])),
            ("extra claims", claims(["txn": "t", "acr": "x", "custom": ["a": 1]])),
            (
                "extra events members (Keycloak)",
                claims(["events": .object([event: ["revoke_offline_access": true], "other": [:]])])
            ),
            ("event member with content", claims(["events": .object([event: ["reason": "x"]])])),
        ] as [(String, [String: JSONValue])]
    )
    func acceptsClaims(name: String, claims: [String: JSONValue]) throws {
        let checked = try LogoutTokenValidator.checkClaims(claims, policy: Self.keys, now: Self.now)
        #expect(checked.iss == "https://idp.example", "\(name)")
    }

    @Test func legacyIssuersMayOmitExp() throws {
        let legacy = IssuerPolicy(
            name: "l",
            issuer: "https://idp.example",
            audience: "logoutd",
            algorithms: [.es256],
            requireExp: false,
            trust: .keys
        )
        _ = try LogoutTokenValidator.checkClaims(Self.claims(["exp": nil]), policy: legacy, now: Self.now)
    }

    /// IN-16: app tokens signed with a shared secret (Logora-style).
    @Test func appTokens() throws {
        let minimal: [String: JSONValue] = ["aud": "logoutd", "iat": .number(Self.seconds), "sub": "42"]
        let checked = try LogoutTokenValidator.checkClaims(minimal, policy: Self.app, now: Self.now, pinnedRoute: true)
        #expect(checked.sub == "42" && checked.jti == nil)
        var withIss = minimal
        withIss["iss"] = "https://app.example"
        _ = try LogoutTokenValidator.checkClaims(withIss, policy: Self.app, now: Self.now, pinnedRoute: true)
        _ = try LogoutTokenValidator.checkClaims(withIss, policy: Self.app, now: Self.now)
        // IN-8: only on the app's own route may iss be left out; an OIDC issuer needs it everywhere.
        #expect(throws: TokenRejection("IN-8", "iss is missing")) {
            try LogoutTokenValidator.checkClaims(minimal, policy: Self.app, now: Self.now)
        }
        #expect(throws: TokenRejection("IN-8", "iss is missing")) {
            try LogoutTokenValidator.checkClaims(
                Self.claims(["iss": nil]),
                policy: Self.keys,
                now: Self.now,
                pinnedRoute: true
            )
        }
        for (name, change, rule) in [
            ("no sub", ["sub": nil], "IN-16"), ("sid only", ["sub": nil, "sid": "s"], "IN-16"),
            ("nonce", ["nonce": "n"], "IN-15"), ("wrong iss", ["iss": "https://other.example"], "IN-8"),
            ("bad events", ["events": ["x": [:]]], "IN-13"), ("no aud", ["aud": nil], "IN-9"),
            ("no iat", ["iat": nil], "IN-10"),
        ] as [(String, [String: JSONValue?], String)] {
            var claims = minimal
            for (key, value) in change { claims[key] = value }
            do {
                _ = try LogoutTokenValidator.checkClaims(claims, policy: Self.app, now: Self.now, pinnedRoute: true)
                Issue.record("\(name) was accepted")
            } catch {
                #expect(error.rule == rule, "\(name): \(error)")
            }
        }
    }
}
