import LogoutCore
import Testing

/// OAuth access tokens on the stream endpoints (contract C7, RFC 9068 §2 and §4, RFC 6750 §3.1):
/// one row per rule.
@Suite struct AccessTokenValidatorTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let ours = "https://logout.example"
    static let policy = IssuerPolicy(
        name: "idp",
        issuer: "https://idp.example",
        audience: "logoutd",
        algorithms: [.rs256],
        trust: .keys
    )

    static func claims(_ changes: [String: JSONValue?] = [:]) -> [String: JSONValue] {
        var claims: [String: JSONValue] = [
            "iss": "https://idp.example", "aud": .string(ours), "exp": 1_800_000_300, "iat": 1_800_000_000,
            "client_id": "siem", "sub": "siem", "jti": "at-1", "scope": "openid ssf.manage",
        ]
        for (name, value) in changes { claims[name] = value }
        return claims
    }

    struct Row: Sendable, CustomTestStringConvertible {
        var rule: String
        var claims: [String: JSONValue]
        var writing: Bool = true
        /// nil: accepted; else the refusal's kind.
        var insufficientScope: Bool?
        var testDescription: String { rule }
    }

    static let rows: [Row] = [
        Row(rule: "ssf.manage may write", claims: claims()),
        Row(rule: "ssf.manage may read", claims: claims(), writing: false),
        Row(rule: "ssf.read may read", claims: claims(["scope": "ssf.read"]), writing: false),
        Row(rule: "ssf.read may not write (403)", claims: claims(["scope": "ssf.read"]), insufficientScope: true),
        Row(rule: "no scope (403)", claims: claims(["scope": nil]), writing: false, insufficientScope: true),
        Row(
            rule: "a scope that only contains the word",
            claims: claims(["scope": "ssf.manager"]),
            insufficientScope: true
        ),
        Row(rule: "another issuer's iss", claims: claims(["iss": "https://other.example"]), insufficientScope: false),
        Row(rule: "aud not ours", claims: claims(["aud": "https://api.example"]), insufficientScope: false),
        Row(rule: "aud as an array holding ours", claims: claims(["aud": [.string(ours), "https://api.example"]])),
        Row(rule: "no exp (RFC 9068 §2.2)", claims: claims(["exp": nil]), insufficientScope: false),
        Row(rule: "expired beyond the skew", claims: claims(["exp": 1_799_999_900]), insufficientScope: false),
        Row(rule: "expired within the skew", claims: claims(["exp": 1_799_999_970])),
        Row(rule: "no iat", claims: claims(["iat": nil]), insufficientScope: false),
        Row(rule: "iat in the future", claims: claims(["iat": 1_800_000_600]), insufficientScope: false),
        Row(rule: "no client_id", claims: claims(["client_id": nil]), insufficientScope: false),
        Row(rule: "valid for more than a day", claims: claims(["exp": 1_800_090_000]), insufficientScope: false),
        Row(rule: "nbf ahead", claims: claims(["nbf": 1_800_000_600]), insufficientScope: false),
        Row(rule: "nbf passed", claims: claims(["nbf": 1_799_999_000])),
    ]

    @Test(arguments: rows)
    func claims(row: Row) {
        do {
            let client = try AccessTokenValidator.checkClaims(
                row.claims,
                policy: Self.policy,
                audience: Self.ours,
                writing: row.writing,
                now: Self.now
            )
            #expect(row.insufficientScope == nil, "accepted: \(row.rule)")
            #expect(client == "siem")
        } catch {
            #expect(row.insufficientScope == error.insufficientScope, "\(row.rule): \(error)")
        }
    }

    @Test(
        arguments: [
            ("at+jwt", true), ("application/at+jwt", true), ("AT+JWT", true), ("JWT", false),
            ("secevent+jwt", false), ("logout+jwt", false),
        ]
    )
    func onlyAnAccessTokenIsOne(typ: String, accepted: Bool) {
        let header: [String: JSONValue] = ["alg": "RS256", "kid": "k1", "typ": .string(typ)]
        let checked = try? AccessTokenValidator.checkHeader(header, policy: Self.policy)
        #expect((checked != nil) == accepted, "\(typ)")
    }

    @Test func anAlgorithmTheIssuerDoesNotUseIsRefused() {
        #expect(throws: AccessTokenValidator.Refusal.self) {
            try AccessTokenValidator.checkHeader(["alg": "HS256", "typ": "at+jwt"], policy: Self.policy)
        }
        #expect(throws: AccessTokenValidator.Refusal.self) {
            try AccessTokenValidator.checkHeader(["alg": "RS256"], policy: Self.policy)
        }
    }
}
