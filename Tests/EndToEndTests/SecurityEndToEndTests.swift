import Foundation
import GRDB
import LogoutCore
import LogoutJWT
import NIOHTTP1
import TestSupport
import Testing

/// Security round 2 on the real binary, as an attacker on the same machine would try it: the
/// admin API under every spelling of its paths (SEC-7), `id_token_hint`s replayed or naming
/// another issuer's RP (BR-9), floods of refused browser requests (SEC-4), and the callback
/// followed by another browser (BR-6).
@Suite(.serialized) struct SecurityEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "idp-1")
    static let appSecret = "app-shared-secret-of-32-bytes!!!"
    static let signedOut = "https://shop.example/signed-out"

    static func idToken(
        key: TokenForge.Key = idpKey,
        issuer: String = "https://idp.example",
        sub: String = "u",
        aud: String = "shop",
        extra: String = ""
    ) throws -> String {
        let kid = TokenForge.keyID(of: key).map { #","kid":"\#($0)""# } ?? ""
        let header = #"{"alg":"\#(TokenForge.algorithm(of: key))"\#(kid),"typ":"JWT"}"#
        let now = Int(Date().timeIntervalSince1970)
        let payload =
            #"{"iss":"\#(issuer)","sub":"\#(sub)","sid":"op-session","aud":"\#(aud)","iat":\#(now - 60),"exp":\#(now + 600)\#(extra)}"#
        return try TokenForge.sign(header: header, payload: payload, with: key)
    }

    static func query(_ fields: [(String, String)]) -> String {
        fields.map { "\($0)=\(FormEncoding.encode($1))" }.joined(separator: "&")
    }

    /// The IdP (with its own end-session when given), the app (HS256 only), `shop` with a session
    /// at the IdP, `billing` with a session at the app only, `closed` disabled with an IdP session.
    static func registry(_ daemon: DaemonProcess, endSessionEndpoint: String? = nil) async throws {
        try await daemon.registerIdP(Self.idpKey)
        if let endSessionEndpoint {
            let updated = try await daemon.admin(
                .PATCH,
                "/admin/v1/issuers/idp",
                ["end_session_endpoint": .string(endSessionEndpoint)]
            )
            #expect(updated.status == .ok, "\(updated.body)")
        }
        let app = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "app", "issuer": "https://app.example", "audience": "logoutd",
                "shared_secret": .string(Self.appSecret),
            ]
        )
        #expect(app.status == .created, "\(app.body)")
        for (id, uris, enabled) in [
            ("shop", [Self.signedOut], true), ("billing", ["https://billing.example/bye"], true),
            ("closed", ["https://closed.example/bye"], false),
        ] {
            let answer = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                [
                    "client_id": .string(id), "backchannel_logout_uri": "http://127.0.0.1:9/bcl",
                    "post_logout_redirect_uris": .array(uris.map(JSONValue.string)), "enabled": .bool(enabled),
                ]
            )
            #expect(answer.status == .created, "\(answer.body)")
        }
        for (issuer, rp) in [("idp", "shop"), ("app", "billing"), ("idp", "closed")] {
            let session = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                ["issuer": .string(issuer), "sub": "u", "sid": "op-session", "client_id": .string(rp)]
            )
            #expect(session.status == .created, "\(session.body)")
        }
    }

    func events(_ daemon: DaemonProcess) async throws -> [JSONValue] {
        try await daemon.admin(.GET, "/admin/v1/events?limit=1000").json["events"]?.arrayValue ?? []
    }

    /// SEC-7: every admin route, every spelling, raw on the wire: never a success without the
    /// token, and `401` (not a page, not `404`) for the JSON API and for unknown paths.
    @Test func noSpellingOfAnAdminPathGetsInWithoutTheToken() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        var tried = 0
        for route in AdminRouteTable.guarded {
            let (method, path) = AdminRouteTable.split(route)
            for target in AdminRouteTable.spellings(of: path) + ["http://127.0.0.1:\(daemon.adminPort)" + path] {
                let answer = try await RawHTTP.exchange(
                    port: daemon.adminPort,
                    method: method,
                    target: target,
                    headers: method == "GET" ? [] : [("Content-Type", "application/json")],
                    body: method == "GET" ? "" : "{}"
                )
                tried += 1
                #expect(!(200..<300).contains(answer.status), "\(method) \(target): \(answer.status) \(answer.body)")
                if AdminRouteTable.api.contains(route) {
                    #expect(answer.status == 401, "\(method) \(target): \(answer.status)")
                }
            }
        }
        #expect(tried > 700)
        for route in AdminRouteTable.unknown {
            let (method, path) = AdminRouteTable.split(route)
            let anonymous = try await RawHTTP.exchange(port: daemon.adminPort, method: method, target: path)
            #expect(anonymous.status == 401, "\(route)")
            let known = try await RawHTTP.exchange(
                port: daemon.adminPort,
                method: method,
                target: path,
                headers: [("Authorization", "Bearer \(daemon.adminToken)")]
            )
            #expect(known.status == 404, "\(route)")
        }
        // What a web page can send without a preflight: refused before the handler, even with the token.
        let plain = try await RawHTTP.exchange(
            port: daemon.adminPort,
            method: "POST",
            target: "/admin/v1/issuers",
            headers: [("Authorization", "Bearer \(daemon.adminToken)"), ("Content-Type", "text/plain")],
            body: #"{"name":"evil","issuer":"https://evil.example","audience":"logoutd","jwks":{"keys":[]}}"#
        )
        #expect(plain.status == 415, "\(plain.body)")
        let issuers = try await daemon.admin(.GET, "/admin/v1/issuers").json["issuers"]?.arrayValue ?? []
        #expect(issuers.count == 1, "an attacker's request changed the registry: \(issuers)")
        await daemon.stop()
    }

    /// BR-9: a hint ends sessions once; a replay records nothing and the browser gets the same
    /// redirect. A hint naming an RP that holds no session of its issuer, or a disabled RP, is
    /// a page, never a redirect.
    @Test func hintsEndSessionsOnceAndOnlyForTheirIssuersRPs() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await Self.registry(daemon)
        let endSession = daemon.publicURL + "/end-session?"
        let before = try await events(daemon).count

        let hint = try Self.idToken()
        let fields = [("id_token_hint", hint), ("post_logout_redirect_uri", Self.signedOut), ("state", "s1")]
        var locations: Set<String> = []
        for _ in 0..<16 {
            let answer = try await AdminPageEndToEndTests.send(endSession + Self.query(fields))
            #expect(answer.status == .seeOther)
            locations.insert(answer.headers.first(name: "Location") ?? "none")
        }
        #expect(locations == [Self.signedOut + "?state=s1"], "\(locations)")
        let recorded = try await events(daemon)
        #expect(recorded.count == before + 1, "a replayed hint was recorded: \(recorded.count - before) events")

        // The app (a shared secret only) signs a hint naming shop: shop has no session of the app's user.
        let forgedByApp = try TokenForge.sign(
            header: #"{"alg":"HS256","typ":"JWT"}"#,
            payload:
                #"{"iss":"https://app.example","sub":"u","aud":"shop","iat":\#(Int(Date().timeIntervalSince1970) - 5),"exp":\#(Int(Date().timeIntervalSince1970) + 600)}"#,
            with: .hs256(Array(Self.appSecret.utf8))
        )
        let refusals: [(String, String, String)] = [
            ("another issuer's RP", forgedByApp, "BR-9"),
            ("a disabled RP", try Self.idToken(aud: "closed"), "BR-9"),
            ("another subject", try Self.idToken(sub: "someone-else"), "BR-9"),
            (
                "a logout token",
                try Self.idToken(extra: #","events":{"http://schemas.openid.net/event/backchannel-logout":{}}"#), "BR-9"
            ),
            ("an unregistered audience", try Self.idToken(aud: "ghost"), "BR-9"),
        ]
        for (name, token, rule) in refusals {
            let uri = name == "a disabled RP" ? "https://closed.example/bye" : Self.signedOut
            let page = try await AdminPageEndToEndTests.send(
                endSession + Self.query([("id_token_hint", token), ("post_logout_redirect_uri", uri), ("state", "x")])
            )
            #expect(page.status == .badRequest, "\(name): \(page.status)")
            #expect(page.headers.first(name: "Location") == nil, "\(name) redirected")
            #expect(page.body.contains(rule + ":"), "\(name): \(page.body)")
        }
        #expect(try await events(daemon).count == before + 1, "a refused hint was recorded as a logout")
        let pages = try await daemon.admin(.GET, "/admin/v1/events?limit=1").body
        #expect(!pages.contains("disabled"), "the refusal told an issuer which RP is disabled")

        // RES-4: an RP following every subject of the IdP holds no session rows, and may still
        // be where a hint sends the browser.
        let follower = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            [
                "client_id": "portal", "backchannel_logout_uri": "http://127.0.0.1:9/bcl", "subjects": "all",
                "issuers": ["idp"], "post_logout_redirect_uris": ["https://portal.example/bye"],
            ]
        )
        #expect(follower.status == .created, "\(follower.body)")
        let followed = try await AdminPageEndToEndTests.send(
            endSession
                + Self.query([
                    ("id_token_hint", try Self.idToken(sub: "v", aud: "portal")),
                    ("post_logout_redirect_uri", "https://portal.example/bye"),
                ])
        )
        #expect(followed.status == .seeOther, "\(followed.body)")
        await daemon.stop()
    }

    /// SEC-4 on the browser routes: refused hints and forged callback states from one address
    /// are `429` past the budget, logged once, and a valid hint from that address still logs out.
    @Test func floodsOfRefusedBrowserRequestsAreBudgeted() async throws {
        let daemon = try DaemonProcess(extra: "limits:\n  rejections_per_minute: 20")
        try await daemon.start()
        try await Self.registry(daemon)
        let endSession = daemon.publicURL + "/end-session?"
        let forged = try Self.idToken(key: TokenForge.newES256(kid: "idp-1"))
        let clock = ContinuousClock()
        let started = clock.now
        // The bucket refills 20 a minute: what a slow machine may add to the 20 while this runs.
        func allowance() -> Int {
            20 + Int((started.duration(to: clock.now) / .seconds(3)).rounded(.up)) + 1
        }
        var statuses: [UInt] = []
        for _ in 0..<200 {
            let page = try await AdminPageEndToEndTests.send(
                endSession + Self.query([("id_token_hint", forged), ("post_logout_redirect_uri", Self.signedOut)])
            )
            statuses.append(page.status.code)
            #expect(page.headers.first(name: "Location") == nil)
            if page.status == .tooManyRequests {
                #expect(Int(page.headers.first(name: "Retry-After") ?? "") ?? 0 >= 1)
            }
        }
        let refused = statuses.filter { $0 == 400 }.count
        #expect(refused >= 20 && refused <= allowance(), "\(refused) refusals with a budget of 20")
        #expect(statuses.filter { $0 == 429 }.count == 200 - refused, "\(statuses)")
        var callbacks: [UInt] = []
        for _ in 0..<100 {
            let page = try await AdminPageEndToEndTests.send(
                daemon.publicURL + "/end-session/callback?state=" + UUID().uuidString
            )
            callbacks.append(page.status.code)
            #expect(page.headers.first(name: "Location") == nil)
        }
        #expect(refused + callbacks.filter { $0 == 400 }.count <= allowance(), "\(callbacks)")
        #expect(callbacks.allSatisfy { $0 == 400 || $0 == 429 }, "\(callbacks)")
        // The budget never refuses a valid request.
        let valid = try await AdminPageEndToEndTests.send(
            endSession
                + Self.query([("id_token_hint", try Self.idToken()), ("post_logout_redirect_uri", Self.signedOut)])
        )
        #expect(valid.status == .seeOther, "a valid hint over budget: \(valid.status)")
        let minutes = Int((started.duration(to: clock.now) / .seconds(60)).rounded(.down))
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("end-session refused") }
        #expect(lines.count >= 1 && lines.count <= 1 + minutes, "\(lines.count) log lines for 300 refusals")
        let metrics = try await daemon.admin(.GET, "/metrics").body
        #expect(metrics.contains(#"logoutd_rate_limited_requests_total{scope="client"}"#))
        await daemon.stop()
    }

    /// BR-6: the callback redirects only the browser that started the flow. Another browser
    /// (a link sent to a victim, a stolen URL) sees the signed-out page and goes nowhere, and
    /// the record stays for the right browser.
    @Test func theCallbackRedirectsOnlyTheBrowserThatStartedTheFlow() async throws {
        let idp = try await TestServer.start { _, request in
            let form = FormBody(Array((request.query ?? "").utf8))
            let back = form?.values(named: "post_logout_redirect_uri").first ?? ""
            let state = form?.values(named: "state").first ?? ""
            return Behavior(status: 303, headers: [("Location", back + "?state=" + FormEncoding.encode(state))])
        }
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await Self.registry(daemon, endSessionEndpoint: idp.url + "/logout")
        let start = try await AdminPageEndToEndTests.send(
            daemon.publicURL + "/end-session?"
                + Self.query([
                    ("id_token_hint", try Self.idToken()), ("post_logout_redirect_uri", Self.signedOut),
                    ("state", "rp"),
                ])
        )
        #expect(start.status == .seeOther)
        let cookie = String(try #require(start.headers.first(name: "Set-Cookie")).prefix { $0 != ";" })
        let atIdP = try await AdminPageEndToEndTests.send(try #require(start.headers.first(name: "Location")))
        let callback = try #require(atIdP.headers.first(name: "Location"))

        // Whoever holds the link knows the state; the cookie must not be computable from it.
        let state = try #require(FormBody(Array(callback.split(separator: "?")[1].utf8))?.values(named: "state").first)
        let name = "logoutd_es_" + Digests.tokenHash("name:" + state).prefix(12)
        #expect(cookie.hasPrefix(name + "="))
        for (name, headers) in [
            ("no cookie", [(String, String)]()), ("a wrong value", [("Cookie", cookie.prefix { $0 != "=" } + "=x")]),
            ("another flow's cookie", [("Cookie", "logoutd_es_000000000000=" + String(repeating: "0", count: 64))]),
            ("a value hashed from the state", [("Cookie", name + "=" + Digests.tokenHash("browser:" + state))]),
        ] {
            let page = try await AdminPageEndToEndTests.send(callback, headers: headers)
            #expect(page.status == .ok, "\(name): \(page.status)")
            #expect(page.headers.first(name: "Location") == nil, "\(name) was redirected")
            #expect(page.body.contains("signed out"), "\(name)")
        }
        let back = try await AdminPageEndToEndTests.send(callback, headers: [("Cookie", "other=1; " + cookie)])
        #expect(back.status == .seeOther && back.headers.first(name: "Location") == Self.signedOut + "?state=rp")
        await daemon.stop()
        await idp.stop()
    }

    /// BR-9 and SEC-4: a valid hint sent again and again from one address records nothing and,
    /// past the address's budget, no longer writes a return record for the trip upstream; every
    /// answer is still the way out, never a refusal.
    @Test func aRepeatedHintCannotFillTheReturnTable() async throws {
        let idp = try await TestServer.start()
        let daemon = try DaemonProcess(extra: "limits:\n  rejections_per_minute: 20")
        try await daemon.start()
        try await Self.registry(daemon, endSessionEndpoint: idp.url + "/logout")
        let hint = try Self.idToken()
        let url =
            daemon.publicURL + "/end-session?"
            + Self.query([("id_token_hint", hint), ("post_logout_redirect_uri", Self.signedOut)])
        var upstream = 0
        for _ in 0..<120 {
            let answer = try await AdminPageEndToEndTests.send(url)
            #expect(answer.status == .seeOther)
            let location = answer.headers.first(name: "Location") ?? ""
            if location.hasPrefix(idp.url) { upstream += 1 } else { #expect(location == Self.signedOut) }
        }
        #expect(upstream >= 21 && upstream <= 30, "\(upstream) trips upstream for 120 clicks, budget 20")
        await daemon.stop()
        let database = try DatabaseQueue(path: daemon.folder.file("data/logoutd.sqlite3"))
        let returns = try await database.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM end_session_returns") }
        #expect(returns == upstream, "return records")
        let events = try await database.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM events WHERE source = 'end-session'")
        }
        #expect(events == 1)
        await idp.stop()
    }

    /// SEC-4: hints that name a new `kid` each time get `503` while the issuer's keys refresh;
    /// they are charged like refusals and logged once, or they would be a way around the budget.
    @Test func hintsWithUnknownKeyIDsAreChargedToo() async throws {
        let jwks = try await TestServer.start { _, _ in .json(TokenForge.json(try! TokenForge.jwks([Self.idpKey]))) }
        let daemon = try DaemonProcess(extra: "limits:\n  rejections_per_minute: 20")
        try await daemon.start()
        let issuer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks_uri": .string(jwks.url + "/jwks"),
            ]
        )
        #expect(issuer.status == .created, "\(issuer.body)")
        var statuses: [UInt] = []
        for index in 0..<80 {
            let hint = try Self.idToken(key: TokenForge.newES256(kid: "rotated-\(index)"))
            let page = try await AdminPageEndToEndTests.send(
                daemon.publicURL + "/end-session?" + Self.query([("id_token_hint", hint)])
            )
            statuses.append(page.status.code)
            #expect(page.headers.first(name: "Location") == nil)
        }
        #expect(statuses.filter { $0 != 429 }.count <= 25, "\(statuses)")
        #expect(statuses.suffix(40).allSatisfy { $0 == 429 }, "\(statuses)")
        let lines = daemon.log.split(separator: "\n").filter { $0.contains("issuer keys unavailable") }
        #expect(lines.count <= 2, "\(lines.count) warnings for 80 hints from one address")
        await daemon.stop()
        await jwks.stop()
    }
}
