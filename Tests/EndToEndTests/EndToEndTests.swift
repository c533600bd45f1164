import AsyncHTTPClient
import Foundation
import LogoutCore
import LogoutJWT
import NIOHTTP1
import TestSupport
import Testing

/// The built `logoutd` binary, driven over HTTP like an operator and an IdP would.
@Suite(.serialized) struct EndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "idp-key-1")
    static let appSecret = "logora-app-secret-of-32-bytes!!!"

    /// Checks a delivered token the way an RP does: our discovery, our JWKS, then the C5 claims.
    static func verifyDelivered(
        _ token: String,
        daemon: DaemonProcess,
        audience: String,
        sub: String,
        sid: String?
    ) async throws -> [String: JSONValue] {
        let discovery = try await daemon.get(daemon.publicURL + "/.well-known/openid-configuration").json
        #expect(discovery["issuer"] == .string(daemon.publicURL))
        #expect(discovery["backchannel_logout_supported"] == true)
        let jwksURI = try #require(discovery["jwks_uri"]?.stringValue)
        let keys = try JWKSet.parse(Array(try await daemon.get(jwksURI).body.utf8))
        let jws = try CompactJWS.parse(token)
        #expect(jws.header["typ"] == "logout+jwt")
        let algorithm = try #require(jws.header["alg"]?.stringValue.flatMap(JWSAlgorithm.init(rawValue:)))
        let header = CheckedHeader(algorithm: algorithm, keyID: jws.header["kid"]?.stringValue)
        #expect(JWSVerifier.verify(jws, header: header, keys: keys) == .valid)
        let claims = jws.payload
        var expectedKeys: Set<String> = ["iss", "aud", "iat", "exp", "jti", "events", "sub", "txn"]
        if sid != nil { expectedKeys.insert("sid") }
        #expect(Set(claims.keys) == expectedKeys)
        #expect(claims["iss"] == .string(daemon.publicURL))
        #expect(claims["aud"] == .string(audience))
        #expect(claims["sub"] == .string(sub))
        #expect(claims["sid"] == sid.map(JSONValue.string))
        #expect(claims["events"] == .object([TokenForge.event: [:]]))
        let iat = try #require(claims["iat"]?.numberValue)
        let exp = try #require(claims["exp"]?.numberValue)
        #expect(exp - iat <= 120 && exp > iat)
        #expect(abs(iat - Date().timeIntervalSince1970) < 30)
        return claims
    }

    @Test func registersIssuersAndRPsThenFansOutVerifiableTokens() async throws {
        let jwksServer = try await TestServer.start { _, _ in
            .json(TokenForge.json(try! TokenForge.jwks([Self.idpKey])))
        }
        let rpA = try await TestServer.start()
        let rpB = try await TestServer.start()
        let rpC = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        // As under its own unit: no capability at all, so what a sandbox refuses fails here.
        let capabilities = try daemon.capabilities()
        for set in ["CapEff", "CapPrm", "CapBnd", "CapAmb"] {
            #expect(capabilities[set] == "0000000000000000", "\(set) \(capabilities[set] ?? "?")")
        }

        // Issuers: an OpenID provider with a jwks_uri, and an app with a shared secret.
        var answer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks_uri": .string(jwksServer.url + "/jwks"),
            ]
        )
        #expect(answer.status == .created, "\(answer.body)")
        answer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "app", "issuer": "https://app.example", "audience": "logoutd",
                "shared_secret": .string(Self.appSecret),
            ]
        )
        #expect(answer.status == .created && !answer.body.contains(Self.appSecret))

        // Three RPs, signing with each of our algorithms.
        for (id, server, alg, sessionRequired) in [
            ("rp-a", rpA, "ES256", false), ("rp-b", rpB, "RS256", false), ("rp-c", rpC, "EdDSA", true),
        ] {
            answer = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                [
                    "client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/logout?via=logoutd"),
                    "signing": ["alg": .string(alg)], "backchannel_logout_session_required": .bool(sessionRequired),
                ]
            )
            #expect(answer.status == .created, "\(answer.body)")
        }
        for session: JSONValue in [
            [
                "issuer": "https://idp.example", "sub": "user-1", "sid": "s-1", "client_id": "rp-a",
                "rp_sub": "a-user", "rp_sid": "s-1",
            ],
            [
                "issuer": "https://idp.example", "sub": "user-1", "sid": "s-1", "client_id": "rp-b",
                "rp_sub": "b-pairwise", "rp_sid": "b-s",
            ],
            ["issuer": "https://idp.example", "sub": "user-1", "sid": "s-1", "client_id": "rp-c", "rp_sid": "c-s"],
            ["issuer": "https://app.example", "sub": "42", "client_id": "rp-a"],
        ] {
            #expect(try await daemon.admin(.POST, "/admin/v1/sessions", session).status == .created)
        }

        // The IdP logs user-1 out of session s-1.
        let idpToken = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "user-1",
            sid: "s-1",
            key: Self.idpKey
        )
        let accepted = try await daemon.postLogout(idpToken)
        #expect(accepted.status == .ok && accepted.body.isEmpty)
        #expect(accepted.headers["Cache-Control"].first == "no-store")
        #expect(await eventually { rpA.received.count == 1 && rpB.received.count == 1 && rpC.received.count == 1 })
        #expect(rpA.received.first?.query == "via=logoutd")
        #expect(rpA.received.first?.contentType == "application/x-www-form-urlencoded")
        let claimsA = try await Self.verifyDelivered(
            try #require(rpA.received.first?.formValue("logout_token")),
            daemon: daemon,
            audience: "rp-a",
            sub: "a-user",
            sid: "s-1"
        )
        let claimsB = try await Self.verifyDelivered(
            try #require(rpB.received.first?.formValue("logout_token")),
            daemon: daemon,
            audience: "rp-b",
            sub: "b-pairwise",
            sid: "b-s"
        )
        _ = try await Self.verifyDelivered(
            try #require(rpC.received.first?.formValue("logout_token")),
            daemon: daemon,
            audience: "rp-c",
            sub: "user-1",
            sid: "c-s"
        )
        #expect(claimsA["txn"] == claimsB["txn"] && claimsA["jti"] != claimsB["jti"])
        #expect(
            rpA.received.first?.body.hasPrefix("logout_token=") == true
                && rpA.received.first?.body.contains("&") == false
        )

        // A Logora-style app posts on its own route, signed with its secret, the way a generic JWT
        // library writes it: typ JWT, no iss (IN-7, IN-8, IN-16). Another typ is still refused.
        let claims = TokenForge.json([
            "sub": "42", "aud": "logoutd", "iat": .number(Date().timeIntervalSince1970.rounded()),
        ])
        let wrongType = try TokenForge.sign(
            header: #"{"alg":"HS256","typ":"at+jwt"}"#,
            payload: claims,
            with: .hs256(Array(Self.appSecret.utf8))
        )
        #expect(try await daemon.postLogout(wrongType, path: "/backchannel-logout/app").status == .badRequest)
        let appToken = try TokenForge.sign(
            header: #"{"alg":"HS256","typ":"JWT"}"#,
            payload: claims,
            with: .hs256(Array(Self.appSecret.utf8))
        )
        #expect(try await daemon.postLogout(appToken, path: "/backchannel-logout/app").status == .ok)
        // On the shared route the app's iss is what selects it, so there it is required.
        #expect(try await daemon.postLogout(appToken).status == .badRequest)
        #expect(await eventually { rpA.received.count == 2 })
        _ = try await Self.verifyDelivered(
            try #require(rpA.received.last?.formValue("logout_token")),
            daemon: daemon,
            audience: "rp-a",
            sub: "42",
            sid: nil
        )

        // The log: events, deliveries, attempts with the jti the RP received. Rejections are
        // written in the background, a moment later.
        var events: [JSONValue] = []
        _ = await eventually {
            events = (try? await daemon.admin(.GET, "/admin/v1/events").json["events"]?.arrayValue) ?? []
            return events.count == 4
        }
        #expect(Set(events.prefix(3).compactMap { $0["outcome"]?.stringValue }) == ["accepted", "rejected"])
        events = events.filter { $0["outcome"] == "accepted" }
        #expect(events.first?["source"] == "app" && events.last?["deliveries"] == 3)
        let deliveries =
            try await daemon.admin(.GET, "/admin/v1/deliveries?status=delivered").json["deliveries"]?.arrayValue ?? []
        #expect(deliveries.count == 4)
        let toB = try #require(deliveries.first { $0["client_id"] == "rp-b" })
        let detail = try await daemon.admin(.GET, "/admin/v1/deliveries/\(Int(toB["id"]?.numberValue ?? 0))").json
        #expect(detail["attempt_log"]?.arrayValue?.first?["jti"] == claimsB["jti"])
        #expect(detail["attempt_log"]?.arrayValue?.first?["status_code"] == 200)
        #expect(detail["attempt_log"]?.arrayValue?.first?["remote_address"] == "127.0.0.1", "the address that answered")

        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
        for server in [jwksServer, rpA, rpB, rpC] { await server.stop() }
    }

    @Test func adminAPIRefusesWhatItCannotStore() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let unauthorized = try await daemon.get(daemon.adminURL + "/admin/v1/rps")
        #expect(unauthorized.status == .unauthorized && unauthorized.json["error"] == "unauthorized")
        let wrong = try await daemon.get(daemon.adminURL + "/admin/v1/rps", headers: [("Authorization", "Bearer nope")])
        #expect(wrong.status == .unauthorized)
        let cases: [(JSONValue, HTTPResponseStatus)] = [
            (
                ["name": "Bad Name", "issuer": "i", "audience": "a", "shared_secret": .string(Self.appSecret)],
                .unprocessableEntity
            ),
            (["name": "short", "issuer": "i", "audience": "a", "shared_secret": "too-short"], .unprocessableEntity),
            (
                [
                    "name": "two", "issuer": "i", "audience": "a", "shared_secret": .string(Self.appSecret),
                    "jwks_uri": "https://x/jwks",
                ], .unprocessableEntity
            ),
            (["name": "typo", "issuer": "i", "audience": "a", "jwks_url": "https://x/jwks"], .unprocessableEntity),
            (
                ["name": "badjwks", "issuer": "i", "audience": "a", "jwks": ["keys": [["kty": "oct", "k": "AA"]]]],
                .unprocessableEntity
            ),
            (
                [
                    "name": "hs-with-keys", "issuer": "i", "audience": "a", "jwks_uri": "https://x/jwks",
                    "algorithms": ["HS256"],
                ], .unprocessableEntity
            ),
        ]
        for (body, status) in cases {
            let answer = try await daemon.admin(.POST, "/admin/v1/issuers", body)
            #expect(answer.status == status, "\(body): \(answer.body)")
            #expect(answer.json["error_description"]?.stringValue?.isEmpty == false)
        }
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/issuers",
                ["name": "ok", "issuer": "i", "audience": "a", "shared_secret": .string(Self.appSecret)]
            ).status == .created
        )
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/issuers",
                ["name": "ok", "issuer": "i", "audience": "a", "shared_secret": .string(Self.appSecret)]
            ).status == .conflict
        )
        #expect(try await daemon.admin(.GET, "/admin/v1/issuers/none").status == .notFound)
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "x", "backchannel_logout_uri": "https://x/#frag"]
            ).status == .unprocessableEntity
        )
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "x", "backchannel_logout_uri": "https://x/", "signing": ["alg": "HS256"]]
            ).status == .unprocessableEntity
        )
        #expect(
            try await daemon.admin(.POST, "/admin/v1/sessions", ["issuer": "i", "sub": "s", "client_id": "missing"])
                .status == .unprocessableEntity
        )
        #expect(try await daemon.admin(.POST, "/admin/v1/issuers", nil).status == .badRequest)
        // PATCH keeps what it does not name, and client_id cannot change.
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "rp", "backchannel_logout_uri": "https://rp.example/bcl"]
            ).status == .created
        )
        let patched = try await daemon.admin(.PATCH, "/admin/v1/rps/rp", ["enabled": false])
        #expect(
            patched.status == .ok && patched.json["enabled"] == false
                && patched.json["backchannel_logout_uri"] == "https://rp.example/bcl"
        )
        #expect(
            try await daemon.admin(.PATCH, "/admin/v1/rps/rp", ["client_id": "other"]).status == .unprocessableEntity
        )
        #expect(try await daemon.admin(.GET, "/admin/v1/keys").json["keys"]?.arrayValue?.count == 3)
        // rp_sid (RES-3, C4): absent means "the upstream sid" only when the RP's tokens come from that
        // issuer; otherwise the RP cannot know it and gets none. null means "the RP knows no sid".
        let fromUs = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "i", "sub": "s", "sid": "up", "client_id": "rp"]
        )
        #expect(fromUs.status == .created && fromUs.json["rp_sid"] == .null)
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "rp-i", "backchannel_logout_uri": "https://rp.example/i", "token_issuer": "i"]
            ).status == .created
        )
        let sameSid = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "i", "sub": "s", "sid": "up", "client_id": "rp-i"]
        )
        #expect(sameSid.json["rp_sid"] == "up")
        let noSid = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "i", "sub": "s", "sid": "up", "client_id": "rp-i", "rp_sid": nil]
        )
        #expect(noSid.status == .created && noSid.json["rp_sid"] == .null && noSid.json["sid"] == "up")
        await daemon.stop()
    }

    @Test func checkConfigValidatesAndExplains() async throws {
        let daemon = try DaemonProcess()
        let run = { (arguments: [String]) async throws -> (Int32, String) in
            let child = try await ChildProcess.run(DaemonProcess.binary, arguments, mergeErrors: true)
            return (child.status, child.output)
        }
        let (okStatus, okOutput) = try await run(["check-config", "--config", daemon.configPath])
        #expect(okStatus == 0 && okOutput.contains("configuration is valid"))
        #expect(okOutput.contains(daemon.folder.path + "/data/logoutd.sqlite3"))
        let bad = daemon.folder.file("bad.yaml")
        try "delivery:\n  timeout: \"ten seconds\"\n".write(toFile: bad, atomically: true, encoding: .utf8)
        let (badStatus, badOutput) = try await run(["check-config", "--config", bad])
        #expect(badStatus == 1 && badOutput.contains("delivery.timeout"))
        let (missingStatus, _) = try await run(["check-config", "--config", daemon.folder.file("missing.yaml")])
        #expect(missingStatus == 1)
        let publicAdmin = daemon.folder.file("public-admin.yaml")
        try "admin:\n  listen: \"0.0.0.0:8081\"\n".write(toFile: publicAdmin, atomically: true, encoding: .utf8)
        let (adminStatus, adminOutput) = try await run(["check-config", "--config", publicAdmin])
        #expect(adminStatus == 1 && adminOutput.contains("admin.listen"))
    }

    @Test func aSecondDaemonOnTheSameDatabaseRefusesToStart() async throws {
        let first = try DaemonProcess()
        try await first.start()
        let second = try await ChildProcess.run(
            DaemonProcess.binary,
            ["serve", "--config", first.configPath],
            mergeErrors: true
        )
        let message = second.output
        #expect(second.status == 1)
        #expect(message.contains("another logoutd is already using this database"), "\(message)")
        // The first daemon is untouched and still answers.
        #expect(try await first.get(first.publicURL + "/readyz").status == .ok)
        await first.stop()
    }
}
