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

/// The public endpoint against rulebook §8, through the real router, intake and SQLite file.
@Suite struct InboundConformanceTests {
    static let es256 = TokenForge.newES256(kid: "es-1")
    static let rsaKey = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let rs256 = TokenForge.Key.rs256(rsaKey, kid: "rs-1")

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

    func withDaemon(_ body: @Sendable (Harness, any TestClientProtocol) async throws -> Void) async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [Self.es256, Self.rs256])
            try await harness.registerRP("rp", uri: "http://127.0.0.1:9/bcl")
            try await harness.addSession(rp: "rp")
            try await harness.addSession(issuer: Harness.appIssuer, sub: "42", sid: nil, rp: "rp")
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.router) { client in try await body(harness, client) }
        }
    }

    /// The eight OpenID conformance RP back-channel cases, with their exact status codes.
    @Test func openIDConformanceCases() async throws {
        let rsaPublicPEM = Self.rsaKey.publicKey.pemRepresentation
        let cases: [(String, String, HTTPResponse.Status)] = [
            ("valid", try Self.token(), .ok),
            ("alg none", try Self.token(key: .unsigned), .badRequest),
            ("no events", try Self.token(claims: ["events": nil]), .badRequest),
            ("with nonce", try Self.token(claims: ["nonce": "n-0S6_WzA2Mj"]), .badRequest),
            (
                "wrong alg (RS256 key used as HS256 secret)",
                try Self.token(header: ["kid": "rs-1"], key: .hs256(Array(rsaPublicPEM.utf8))), .badRequest
            ),
            ("wrong aud", try Self.token(claims: ["aud": "someone-else"]), .badRequest),
            (
                "wrong events",
                try Self.token(claims: ["events": .object(["http://schemas.openid.net/event/other": [:]])]), .badRequest
            ),
            ("wrong iss", try Self.token(claims: ["iss": "https://not-registered.example"]), .badRequest),
        ]
        try await withDaemon { harness, client in
            for (name, token, expected) in cases {
                let answer = try await Self.post(client, body: "logout_token=\(token)")
                #expect(answer.status == expected, "\(name): \(answer.body)")
                #expect(answer.cacheControl == "no-store", "\(name)")
                if expected == .ok {
                    #expect(answer.body.isEmpty, "\(name)")
                } else {
                    #expect(answer.body.contains(#""error":"invalid_request""#), "\(name)")
                    #expect(!answer.body.contains(token), "\(name): the description echoes the token")
                }
            }
            #expect(try await harness.deliveries().count == 1)
        }
    }

    /// Every other case of rulebook §8: refused with 400, and no delivery is ever created.
    @Test func everyOtherInvalidTokenIsRefusedWithoutDeliveries() async throws {
        let now = Date()
        let long = String(repeating: "x", count: 20_000)
        let cases: [(String, String)] = [
            ("missing iat", try Self.token(claims: ["iat": nil])),
            ("missing jti", try Self.token(claims: ["jti": nil])),
            ("missing exp", try Self.token(claims: ["exp": nil])),
            (
                "expired",
                try Self.token(claims: [
                    "exp": .number(now.timeIntervalSince1970 - 3600), "iat": .number(now.timeIntervalSince1970 - 500),
                ])
            ),
            ("iat in the future", try Self.token(claims: ["iat": .number(now.timeIntervalSince1970 + 600)])),
            ("iat = Int64.max", try Self.token(claims: ["iat": .number(Double(Int64.max))])),
            (
                "exp = Int64.max, iat = Int64.min",
                try Self.token(claims: ["exp": .number(Double(Int64.max)), "iat": .number(Double(Int64.min))])
            ),
            ("neither sub nor sid", try Self.token(claims: ["sub": nil, "sid": nil])),
            ("events member not an object", try Self.token(claims: ["events": .object([TokenForge.event: "yes"])])),
            ("wrong typ", try Self.token(header: ["typ": "JWT"])),
            ("bad signature", String(try Self.token().dropLast(4)) + "AAAA"),
            ("unknown kid", try Self.token(key: TokenForge.newES256(kid: "unknown"))),
            ("right kid, other key", try Self.token(key: TokenForge.newES256(kid: "es-1"))),
            ("crit", try Self.token(header: ["crit": ["exp"]])),
            ("jku", try Self.token(header: ["jku": "https://attacker.example/jwks"])),
            ("x5u", try Self.token(header: ["x5u": "https://attacker.example/cert"])),
            ("jwk", try Self.token(header: ["jwk": try TokenForge.publicJWK(Self.es256)])),
            (
                "duplicate claims",
                try TokenForge.sign(
                    header: #"{"alg":"ES256","kid":"es-1","typ":"logout+jwt"}"#,
                    payload:
                        #"{"iss":"https://idp.example","aud":"logoutd","iat":\#(Int(now.timeIntervalSince1970)),"exp":\#(Int(now.timeIntervalSince1970) + 60),"jti":"dup","sub":"user-1","sub":"admin","events":{"http://schemas.openid.net/event/backchannel-logout":{}}}"#,
                    with: Self.es256
                )
            ),
            (
                "duplicate alg header",
                try TokenForge.sign(
                    header: #"{"alg":"ES256","alg":"none","kid":"es-1"}"#,
                    payload: "{}",
                    with: Self.es256
                )
            ),
            ("non-JSON segments", "bm90IGpzb24.bm90IGpzb24.c2ln"),
            ("10k dots", String(repeating: ".", count: 10_000)),
            ("JWE", "a.b.c.d.e"),
            ("huge claim", try Self.token(claims: ["pad": .string(String(long.prefix(9000)))])),
            (
                "HS256 token to an issuer with keys",
                try Self.token(key: .hs256(Array("0123456789abcdef0123456789abcdef".utf8)))
            ),
            (
                "app token with wrong secret",
                try TokenForge.logoutToken(
                    issuer: Harness.appIssuer,
                    audience: Harness.audience,
                    key: .hs256(Array("another-secret-another-secret-12".utf8))
                )
            ),
        ]
        try await withDaemon { harness, client in
            for (name, token) in cases {
                let answer = try await Self.post(client, body: "logout_token=\(token)")
                #expect(answer.status == .badRequest, "\(name): \(answer.status) \(answer.body)")
                #expect(answer.cacheControl == "no-store", "\(name)")
            }
            // 100,000 dots exceed the body cap: refused unread (413), never parsed.
            let dots = try await Self.post(client, body: "logout_token=" + String(repeating: ".", count: 100_000))
            #expect(dots.status == .contentTooLarge)
            #expect(try await harness.deliveries().isEmpty)
            try await harness.database.flushRejections()
            let events = try await harness.database.events(EventQuery(limit: 1000))
            #expect(events.count == cases.count)
            #expect(events.allSatisfy { $0.outcome == .rejected && $0.reason?.hasPrefix("IN-") == true })
        }
    }

    @Test func requestShapeRules() async throws {
        let valid = try Self.token()
        try await withDaemon { harness, client in
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

    @Test func identicalRetransmissionIsAcceptedOnceAndOtherContentWithTheSameJTIIsRefused() async throws {
        let first = try Self.token(jti: "fixed-jti")
        let other = try Self.token(claims: ["sid": "another"], jti: "fixed-jti")
        try await withDaemon { harness, client in
            #expect(try await Self.post(client, body: "logout_token=\(first)").status == .ok)
            #expect(try await Self.post(client, body: "logout_token=\(first)").status == .ok)
            #expect(try await harness.deliveries().count == 1)
            let conflict = try await Self.post(client, body: "logout_token=\(other)")
            #expect(conflict.status == .badRequest && conflict.body.contains("IN-12"))
            let outcomes = try await harness.database.events(EventQuery()).map(\.outcome)
            #expect(outcomes == [.rejected, .duplicate, .accepted])
        }
    }

    @Test func appTokensOnTheirPinnedRoute() async throws {
        let appToken = try TokenForge.sign(
            header: #"{"alg":"HS256"}"#,
            payload: TokenForge.json([
                "aud": "logoutd", "iat": .number(Date().timeIntervalSince1970.rounded()), "sub": "42",
            ]),
            with: .hs256(Harness.appSecret)
        )
        try await withDaemon { harness, client in
            // Without iss, only the pinned route can select the issuer.
            #expect(try await Self.post(client, body: "logout_token=\(appToken)").status == .badRequest)
            #expect(
                try await Self.post(client, body: "logout_token=\(appToken)", path: "/backchannel-logout/nope").status
                    == .badRequest
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
    @Test func unreachableIssuerKeysAnswer503() async throws {
        try await Harness.with { harness in
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

    @Test func aDatabaseThatCannotCommitAnswers503NeverOK() async throws {
        let token = try Self.token()
        try await withDaemon { harness, client in
            var configuration = GRDB.Configuration()
            configuration.allowsUnsafeTransactions = true
            let other = try DatabaseQueue(
                path: harness.components.configuration.databasePath,
                configuration: configuration
            )
            try await other.writeWithoutTransaction { try $0.execute(sql: "BEGIN EXCLUSIVE") }
            let answer = try await Self.post(client, body: "logout_token=\(token)")
            #expect(answer.status == .serviceUnavailable && answer.retryAfter != nil)
            try await other.writeWithoutTransaction { try $0.execute(sql: "ROLLBACK") }
            // The notifier retries the same token and it is accepted now.
            #expect(try await Self.post(client, body: "logout_token=\(token)").status == .ok)
            #expect(try await harness.deliveries().count == 1)
        }
    }
}
