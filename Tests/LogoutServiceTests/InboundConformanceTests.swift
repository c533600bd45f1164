import Crypto
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import LogoutAdminAPI
import LogoutCore
import LogoutStorage
import NIOCore
import TestSupport
import Testing
import _CryptoExtras

@testable import LogoutService

/// The public endpoint against rulebook §8, through the real router and intake, on each store.
@Suite struct InboundConformanceTests {
    static let es256 = TokenForge.newES256(kid: "es-1")
    private static let rsaKeyOnce = try! _RSA.Signing.PrivateKey(keySize: .bits2048)

    /// The RSA key, made once on a thread of its own (see `Harness.keysTemplate()`).
    static func rsaKey() async -> _RSA.Signing.PrivateKey { await onItsOwnThread { rsaKeyOnce } }
    static func rs256() async -> TokenForge.Key { .rs256(await rsaKey(), kid: "rs-1") }

    static func token(
        claims: [String: JSONValue?] = [:],
        header: [String: JSONValue?] = [:],
        key: TokenForge.Key = es256,
        jti: String = UUID().uuidString
    ) throws -> String {
        try TokenForge.logoutToken(
            issuer: Harness.idpIssuer,
            audience: Harness.audience,
            jti: jti,
            claims: claims,
            header: header,
            key: key
        )
    }

    struct Answer {
        let status: HTTPResponse.Status
        let cacheControl: String?
        let allow: String?
        let retryAfter: String?
        let body: String
    }

    static func post(
        _ client: some TestClientProtocol,
        body: String,
        path: String = "/backchannel-logout",
        contentType: String = "application/x-www-form-urlencoded"
    ) async throws -> Answer {
        try await client.execute(
            uri: path,
            method: .post,
            headers: [.contentType: contentType],
            body: ByteBuffer(string: body)
        ) { response in
            Answer(
                status: response.status,
                cacheControl: response.headers[.cacheControl],
                allow: response.headers[.allow],
                retryAfter: response.headers[.retryAfter],
                body: String(buffer: response.body)
            )
        }
    }

    func withDaemon(
        _ kind: StoreKind,
        configure: (inout LogoutdConfiguration) -> Void = { _ in },
        _ body: @Sendable (Harness, any TestClientProtocol) async throws -> Void
    ) async throws {
        try await Harness.with(kind, configure: configure) { harness in
            try await harness.registerIssuers(idpKeys: [Self.es256, await Self.rs256()])
            try await harness.registerRP("rp", uri: "http://127.0.0.1:9/bcl")
            try await harness.addSession(rp: "rp")
            try await harness.addSession(issuer: Harness.appIssuer, sub: "42", sid: nil, rp: "rp")
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.router) { client in try await body(harness, client) }
        }
    }

    /// Whether `answer` refuses with `rule`: `400`, `invalid_request`, the rule first in the
    /// description.
    static func refuses(_ answer: Answer, with rule: String) -> Bool {
        answer.status == .badRequest && answer.body.contains(#""error":"invalid_request""#)
            && answer.body.contains(#""error_description":"\#(rule): "#)
    }

    /// The eight OpenID conformance RP back-channel cases, with their exact status codes and,
    /// for refusals, the rule that refuses them (`nil`: accepted).
    @Test(arguments: StoreKind.allCases)
    func openIDConformanceCases(kind: StoreKind) async throws {
        let rsaPublicPEM = await Self.rsaKey().publicKey.pemRepresentation
        let cases: [(String, String, String?)] = [
            ("valid", try Self.token(), nil),
            // Unsigned, its signature segment is empty: refused for its shape before its alg
            // is read (LogoutTokenValidatorTests/refusesHeader has alg none under IN-4).
            ("alg none", try Self.token(key: .unsigned), "IN-2"),
            ("no events", try Self.token(claims: ["events": nil]), "IN-13"),
            ("with nonce", try Self.token(claims: ["nonce": "n-0S6_WzA2Mj"]), "IN-15"),
            (
                "wrong alg (RS256 key used as HS256 secret)",
                try Self.token(header: ["kid": "rs-1"], key: .hs256(Array(rsaPublicPEM.utf8))), "IN-4"
            ),
            ("wrong aud", try Self.token(claims: ["aud": "someone-else"]), "IN-9"),
            (
                "wrong events",
                try Self.token(claims: ["events": .object(["http://schemas.openid.net/event/other": [:]])]), "IN-13"
            ),
            ("wrong iss", try Self.token(claims: ["iss": "https://not-registered.example"]), "IN-3"),
        ]
        try await withDaemon(kind) { harness, client in
            for (name, token, rule) in cases {
                let answer = try await Self.post(client, body: "logout_token=\(token)")
                #expect(answer.cacheControl == "no-store", "\(name)")
                if let rule {
                    #expect(Self.refuses(answer, with: rule), "\(name): \(answer.status) \(answer.body)")
                    #expect(!answer.body.contains(token), "\(name): the description echoes the token")
                } else {
                    #expect(answer.status == .ok && answer.body.isEmpty, "\(name): \(answer.body)")
                }
            }
            #expect(try await harness.deliveries().count == 1)
        }
    }

    /// Every other case of rulebook §8: refused with 400 for its rule, and no delivery is ever
    /// created; each refusal is an event naming that rule.
    @Test(arguments: StoreKind.allCases)
    func everyOtherInvalidTokenIsRefusedWithoutDeliveries(kind: StoreKind) async throws {
        let now = Date()
        let long = String(repeating: "x", count: 20_000)
        let cases: [(String, String, String)] = [
            ("missing iat", try Self.token(claims: ["iat": nil]), "IN-10"),
            ("missing jti", try Self.token(claims: ["jti": nil]), "IN-12"),
            ("missing exp", try Self.token(claims: ["exp": nil]), "IN-11"),
            (
                "expired",
                try Self.token(claims: [
                    "exp": .number(now.timeIntervalSince1970 - 3600), "iat": .number(now.timeIntervalSince1970 - 500),
                ]), "IN-11"
            ),
            ("iat in the future", try Self.token(claims: ["iat": .number(now.timeIntervalSince1970 + 600)]), "IN-10"),
            ("iat = Int64.max", try Self.token(claims: ["iat": .number(Double(Int64.max))]), "IN-10"),
            (
                "exp = Int64.max, iat = Int64.min",
                try Self.token(claims: ["exp": .number(Double(Int64.max)), "iat": .number(Double(Int64.min))]), "IN-10"
            ),
            ("neither sub nor sid", try Self.token(claims: ["sub": nil, "sid": nil]), "IN-14"),
            (
                "events member not an object", try Self.token(claims: ["events": .object([TokenForge.event: "yes"])]),
                "IN-13"
            ),
            ("wrong typ", try Self.token(header: ["typ": "JWT"]), "IN-7"),
            ("bad signature", String(try Self.token().dropLast(4)) + "AAAA", "IN-4"),
            ("unknown kid", try Self.token(key: TokenForge.newES256(kid: "unknown")), "IN-4"),
            ("right kid, other key", try Self.token(key: TokenForge.newES256(kid: "es-1")), "IN-4"),
            ("crit", try Self.token(header: ["crit": ["exp"]]), "IN-5"),
            ("jku", try Self.token(header: ["jku": "https://attacker.example/jwks"]), "IN-5"),
            ("x5u", try Self.token(header: ["x5u": "https://attacker.example/cert"]), "IN-5"),
            ("jwk", try Self.token(header: ["jwk": try TokenForge.publicJWK(Self.es256)]), "IN-5"),
            (
                "duplicate claims",
                try TokenForge.sign(
                    header: #"{"alg":"ES256","kid":"es-1","typ":"logout+jwt"}"#,
                    payload:
                        #"{"iss":"https://idp.example","aud":"logoutd","iat":\#(Int(now.timeIntervalSince1970)),"exp":\#(Int(now.timeIntervalSince1970) + 60),"jti":"dup","sub":"user-1","sub":"admin","events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
                    with: Self.es256
                ), "IN-6"
            ),
            (
                "duplicate alg header",
                try TokenForge.sign(
                    header: #"{"alg":"ES256","alg":"none","kid":"es-1"}"#,
                    payload: "{}",
                    with: Self.es256
                ), "IN-6"
            ),
            ("non-JSON segments", "bm90IGpzb24.bm90IGpzb24.c2ln", "IN-2"),
            ("10k dots", String(repeating: ".", count: 10_000), "IN-2"),
            ("JWE", "a.b.c.d.e", "IN-2"),
            ("huge claim", try Self.token(claims: ["pad": .string(String(long.prefix(9000)))]), "IN-2"),
            (
                "HS256 token to an issuer with keys",
                try Self.token(key: .hs256(Array("0123456789abcdef0123456789abcdef".utf8))), "IN-4"
            ),
            (
                "app token with wrong secret",
                try TokenForge.logoutToken(
                    issuer: Harness.appIssuer,
                    audience: Harness.audience,
                    key: .hs256(Array("another-secret-another-secret-12".utf8))
                ), "IN-4"
            ),
        ]
        try await withDaemon(kind) { harness, client in
            for (name, token, rule) in cases {
                let answer = try await Self.post(client, body: "logout_token=\(token)")
                #expect(Self.refuses(answer, with: rule), "\(name): \(answer.status) \(answer.body)")
                #expect(answer.cacheControl == "no-store", "\(name)")
            }
            // 100,000 dots exceed the body cap: refused unread (413), never parsed.
            let dots = try await Self.post(client, body: "logout_token=" + String(repeating: ".", count: 100_000))
            #expect(dots.status == .contentTooLarge)
            #expect(try await harness.deliveries().isEmpty)
            try await harness.database.flushRejections()
            let events = try await harness.database.events(EventQuery(limit: 1000))
            #expect(events.count == cases.count)
            #expect(events.allSatisfy { $0.outcome == .rejected })
            // Newest first: the log names each refusal's rule, in the order they were posted.
            #expect(
                events.reversed().map { $0.reason?.prefix { $0 != ":" }.description ?? "" } == cases.map(\.2)
            )
        }
    }

    @Test(arguments: StoreKind.allCases)
    func requestShapeRules(kind: StoreKind) async throws {
        let valid = try Self.token()
        try await withDaemon(kind) { harness, client in
            let get = try await client.execute(uri: "/backchannel-logout", method: .get) {
                ($0.status, $0.headers[.allow])
            }
            #expect(get.0 == .methodNotAllowed && get.1 == "POST")
            #expect(
                try await Self.post(client, body: "logout_token=\(valid)", contentType: "application/json").status
                    == .unsupportedMediaType
            )
            let oversized = "logout_token=" + String(repeating: "a", count: 17 * 1024)
            #expect(try await Self.post(client, body: oversized).status == .contentTooLarge)
            #expect(try await Self.post(client, body: "other=1").status == .badRequest)
            #expect(try await Self.post(client, body: "logout_token=").status == .badRequest)
            #expect(
                try await Self.post(client, body: "logout_token=\(valid)&logout_token=\(valid)").status == .badRequest
            )
            #expect(try await harness.deliveries().isEmpty)
            // Extra form fields and extra claims are accepted.
            let extra = try Self.token(claims: ["acr": "urn:x", "custom": ["nested": true]])
            let answer = try await Self.post(client, body: "state=abc&logout_token=\(extra)&client_id=whatever")
            #expect(answer.status == .ok)
            #expect(try await harness.deliveries().count == 1)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func identicalRetransmissionIsAcceptedOnceAndOtherContentWithTheSameJTIIsRefused(kind: StoreKind) async throws {
        let first = try Self.token(jti: "fixed-jti")
        let other = try Self.token(claims: ["sid": "another"], jti: "fixed-jti")
        try await withDaemon(kind) { harness, client in
            #expect(try await Self.post(client, body: "logout_token=\(first)").status == .ok)
            #expect(try await Self.post(client, body: "logout_token=\(first)").status == .ok)
            #expect(try await harness.deliveries().count == 1)
            let conflict = try await Self.post(client, body: "logout_token=\(other)")
            #expect(Self.refuses(conflict, with: "IN-12"), "\(conflict.body)")
            let outcomes = try await harness.database.events(EventQuery()).map(\.outcome)
            #expect(outcomes == [.rejected, .duplicate, .accepted])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func appTokensOnTheirPinnedRoute(kind: StoreKind) async throws {
        let appToken = try TokenForge.sign(
            header: #"{"alg":"HS256"}"#,
            payload: TokenForge.json([
                "aud": "logoutd", "iat": .number(Date().timeIntervalSince1970.rounded()), "sub": "42",
            ]),
            with: .hs256(Harness.appSecret)
        )
        try await withDaemon(kind) { harness, client in
            // Without iss, only the pinned route can select the issuer.
            #expect(Self.refuses(try await Self.post(client, body: "logout_token=\(appToken)"), with: "IN-8"))
            #expect(
                Self.refuses(
                    try await Self.post(client, body: "logout_token=\(appToken)", path: "/backchannel-logout/nope"),
                    with: "IN-3"
                )
            )
            #expect(
                try await Self.post(client, body: "logout_token=\(appToken)", path: "/backchannel-logout/app").status
                    == .ok
            )
            // The same bytes again (no jti: the token hash is the replay key) fan out once.
            #expect(
                try await Self.post(client, body: "logout_token=\(appToken)", path: "/backchannel-logout/app").status
                    == .ok
            )
            let deliveries = try await harness.deliveries()
            #expect(deliveries.count == 1 && deliveries.first?.sub == "42")
        }
    }

    /// IN-20: an issuer whose jwks_uri cannot be fetched, with nothing cached, gets 503 (retry),
    /// never 400 (the token may be fine) and never 200.
    @Test(arguments: StoreKind.allCases)
    func unreachableIssuerKeysAnswer503(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            _ = try await harness.admin.createIssuer(
                IssuerRegistration(
                    name: "far",
                    issuer: "https://far.example",
                    audience: Harness.audience,
                    jwksURI: ("http://127.0.0.1:\(freeLoopbackPort())/jwks")
                )
            )
            let token = try TokenForge.logoutToken(
                issuer: "https://far.example",
                audience: Harness.audience,
                key: Self.es256
            )
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.router) { client in
                let answer = try await Self.post(client, body: "logout_token=\(token)")
                #expect(answer.status == .serviceUnavailable && answer.retryAfter == "5")
                #expect(answer.cacheControl == "no-store")
            }
        }
    }

    /// IN-20: a write that cannot get its lock (another process holds SQLite's, another
    /// transaction PostgreSQL's table lock) is `503` with `Retry-After`, never `200`.
    @Test(arguments: StoreKind.allCases)
    func aDatabaseThatCannotCommitAnswers503NeverOK(kind: StoreKind) async throws {
        let token = try Self.token()
        // How long the locked write waits: on PostgreSQL it bounds every operation, so 10 s there
        // (a loaded machine took more than 2 s to set the harness up).
        let timeout: Duration = kind == .sqlite ? .seconds(2) : .seconds(10)
        try await withDaemon(kind, configure: { $0.databaseBusyTimeout = timeout }) { harness, client in
            let answer = try await Self.holdingTheWriteLock(of: harness) {
                try await Self.post(client, body: "logout_token=\(token)")
            }
            #expect(answer.status == .serviceUnavailable && answer.retryAfter != nil, "\(answer.body)")
            // The notifier retries the same token and it is accepted now.
            #expect(try await Self.post(client, body: "logout_token=\(token)").status == .ok)
            #expect(try await harness.deliveries().count == 1)
        }
    }

    static func holdingTheWriteLock<T: Sendable>(
        of harness: Harness,
        _ body: @Sendable () async throws -> T
    ) async throws -> T {
        if let url = harness.postgresURL {
            return try await TestPostgres.whileHolding("LOCK TABLE events IN EXCLUSIVE MODE", on: url, body)
        }
        var configuration = GRDB.Configuration()
        configuration.allowsUnsafeTransactions = true
        let other = try DatabaseQueue(path: harness.components.configuration.databasePath, configuration: configuration)
        try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
        do {
            let result = try await body()
            try await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
            return result
        } catch {
            try? await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
            throw error
        }
    }
}
