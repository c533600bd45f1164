import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// RP-initiated logout on the real binary (contract C6): the browser comes from an application
/// with its ID token, leaves with a 303 to the registered page and its `state`, and every other
/// RP with a session gets its back-channel token; any failed check is a page, never a redirect.
@Suite(.serialized) struct EndSessionEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "idp-1")
    static let signedOut = "https://shop.example/signed-out"

    static func idToken(
        key: TokenForge.Key = idpKey,
        header: String? = nil,
        aud: String = "shop",
        sid: String = "op-session",
        exp: Double = Date().timeIntervalSince1970 - 600
    ) throws -> String {
        let kid = TokenForge.keyID(of: key).map { #","kid":"\#($0)""# } ?? ""
        let header = header ?? #"{"alg":"\#(TokenForge.algorithm(of: key))"\#(kid),"typ":"JWT"}"#
        let now = Int(Date().timeIntervalSince1970)
        let payload =
            #"{"iss":"https://idp.example","sub":"u","sid":"\#(sid)","aud":"\#(aud)","iat":\#(now - 900),"exp":\#(Int(exp)),"nonce":"n"}"#
        return try TokenForge.sign(header: header, payload: payload, with: key)
    }

    static func query(_ fields: [(String, String)]) -> String {
        fields.map { "\($0)=\(FormEncoding.encode($1))" }.joined(separator: "&")
    }

    @Test func theBrowserReturnsWithItsStateAndEveryOtherRPIsToldOnce() async throws {
        let shop = try await TestServer.start()
        let billing = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        for (id, server, uris) in [("shop", shop, [Self.signedOut]), ("billing", billing, [])] {
            let answer = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                [
                    "client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl"),
                    "post_logout_redirect_uris": .array(uris.map(JSONValue.string)),
                ]
            )
            #expect(answer.status == .created, "\(answer.body)")
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                ["issuer": "idp", "sub": "u", "sid": "op-session", "client_id": .string(id)]
            )
        }
        let discovery = try await daemon.get(daemon.publicURL + "/.well-known/openid-configuration").json
        #expect(discovery["end_session_endpoint"]?.stringValue == daemon.publicURL + "/end-session")

        let endSession = daemon.publicURL + "/end-session"
        // Refusals first: each is a 400 page, no Location, and nothing is fanned out.
        let unsigned =
            try Self.idToken(header: #"{"alg":"none"}"#).split(separator: ".").prefix(2)
            .joined(separator: ".") + "."
        let forged = try Self.idToken(key: TokenForge.newES256(kid: "idp-1"))
        let refusals: [(String, [(String, String)], String)] = [
            ("alg none", [("id_token_hint", unsigned), ("post_logout_redirect_uri", Self.signedOut)], "BR-2"),
            ("bad signature", [("id_token_hint", forged), ("post_logout_redirect_uri", Self.signedOut)], "BR-2"),
            (
                "unregistered URI",
                [("id_token_hint", try Self.idToken()), ("post_logout_redirect_uri", Self.signedOut + "?x=1")],
                "BR-5"
            ),
            (
                "expired too long ago",
                [
                    ("id_token_hint", try Self.idToken(exp: Date().timeIntervalSince1970 - 2 * 86_400)),
                    ("post_logout_redirect_uri", Self.signedOut),
                ],
                "BR-2"
            ),
            ("no id_token_hint", [("post_logout_redirect_uri", Self.signedOut), ("state", "s")], "BR-3"),
        ]
        for (name, fields, rule) in refusals {
            let page = try await AdminPageEndToEndTests.send(endSession + "?" + Self.query(fields))
            #expect(page.status == .badRequest, "\(name)")
            #expect(page.headers.first(name: "Location") == nil, "\(name) redirected")
            #expect(page.body.contains(rule + ":"), "\(name): \(page.body)")
            #expect(page.headers.first(name: "Cache-Control") == "no-store")
            #expect(page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors 'none'") == true)
        }
        let french = try await AdminPageEndToEndTests.send(
            endSession + "?" + Self.query([("post_logout_redirect_uri", Self.signedOut), ("ui_locales", "fr-FR")])
        )
        #expect(french.status == .badRequest && french.body.contains(#"<html lang="fr">"#))
        #expect(french.body.contains("Demande de déconnexion refusée"))
        let empty = try await AdminPageEndToEndTests.send(endSession)
        #expect(empty.status == .ok && empty.body.contains("You are signed out"))
        // A logout is recorded with its deliveries before the page answers (BR-5): none now
        // means none was queued, and nothing can reach the RPs later.
        let queued = try await daemon.admin(.GET, "/admin/v1/deliveries").json["deliveries"]?.arrayValue
        #expect(queued?.isEmpty == true, "a refused request fanned out: \(String(describing: queued))")
        let recorded = try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue
        #expect(recorded?.isEmpty == true)

        // The real thing, as a form post: 303 to the registered page with the state, then the fan-out.
        let hint = try Self.idToken()
        let done = try await AdminPageEndToEndTests.send(
            endSession,
            method: .POST,
            form: [("id_token_hint", hint), ("post_logout_redirect_uri", Self.signedOut), ("state", "xyz 1/2")]
        )
        #expect(done.status == .seeOther)
        #expect(done.headers.first(name: "Location") == Self.signedOut + "?state=xyz%201%2F2")
        #expect(await eventually { shop.received.count == 1 && billing.received.count == 1 })
        let all = try await daemon.admin(.GET, "/admin/v1/deliveries").json["deliveries"]?.arrayValue
        #expect(all?.count == 2, "one delivery per RP, and none from the refused requests")
        let token = try #require(billing.received.first?.formValue("logout_token"))
        let claims = try CompactJWS.parse(token).payload
        // RES-3: the upstream sid is not the one billing knows (its tokens come from us), so sub only.
        #expect(claims["aud"] == "billing" && claims["sub"] == "u" && claims["sid"] == nil)
        let events = try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue
        #expect(events?.count == 1 && events?.first?["source"] == "end-session", "\(String(describing: events))")
        #expect(!daemon.log.contains(hint), "the hint reached the log")

        // Without post_logout_redirect_uri: the signed-out page, and the sessions stay ended.
        let page = try await AdminPageEndToEndTests.send(endSession + "?" + Self.query([("id_token_hint", hint)]))
        #expect(page.status == .ok && page.body.contains("signed out of every application"))
        #expect(page.headers.first(name: "Location") == nil)
        await daemon.stop()
        await shop.stop()
        await billing.stop()
    }

    /// BR-6: an issuer with its own end-session gets the browser next, with our callback and a
    /// single-use state; the callback sends it on to the RP's page with the RP's state.
    @Test func throughTheUpstreamIdPsEndSessionAndBack() async throws {
        let shop = try await TestServer.start()
        // The IdP's end-session ends its own session and sends the browser where it was told.
        let idp = try await TestServer.start { _, request in
            let form = FormBody(Array((request.query ?? "").utf8))
            let back = form?.values(named: "post_logout_redirect_uri").first ?? ""
            let state = form?.values(named: "state").first ?? ""
            return Behavior(status: 303, headers: [("Location", back + "?state=" + FormEncoding.encode(state))])
        }
        let daemon = try DaemonProcess()
        try await daemon.start()
        let issuer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([Self.idpKey]), "end_session_endpoint": .string(idp.url + "/logout"),
                "client_id": "logoutd-at-idp",
            ]
        )
        #expect(issuer.status == .created, "\(issuer.body)")
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            [
                "client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl"),
                "post_logout_redirect_uris": [.string(Self.signedOut)],
            ]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "u", "sid": "op-session", "client_id": "shop"]
        )

        let hint = try Self.idToken()
        let start = try await AdminPageEndToEndTests.send(
            daemon.publicURL + "/end-session?"
                + Self.query([("id_token_hint", hint), ("post_logout_redirect_uri", Self.signedOut), ("state", "xyz")])
        )
        #expect(start.status == .seeOther)
        let upstream = try #require(start.headers.first(name: "Location"))
        #expect(upstream.hasPrefix(idp.url + "/logout?"))
        let sent = try #require(FormBody(Array(upstream.split(separator: "?", maxSplits: 1)[1].utf8)))
        #expect(sent.values(named: "id_token_hint") == [hint])
        #expect(sent.values(named: "post_logout_redirect_uri") == [daemon.publicURL + "/end-session/callback"])
        #expect(sent.values(named: "client_id") == ["logoutd-at-idp"])
        let ourState = try #require(sent.values(named: "state").first)
        #expect(ourState != "xyz" && ourState.count >= 40, "a fresh random state, not the RP's")
        #expect(await eventually { shop.received.count == 1 }, "the fan-out does not wait for the IdP")

        // The detour is bound to this browser: a cookie of its own, Lax so that the IdP's
        // top-level redirect brings it back, HttpOnly, gone with the flow.
        let setCookie = try #require(start.headers.first(name: "Set-Cookie"))
        #expect(setCookie.contains("SameSite=Lax") && setCookie.contains("HttpOnly") && setCookie.contains("Path=/"))
        let cookie = String(setCookie.prefix { $0 != ";" })

        let atIdP = try await AdminPageEndToEndTests.send(upstream)
        let callback = try #require(atIdP.headers.first(name: "Location"))
        #expect(callback.hasPrefix(daemon.publicURL + "/end-session/callback?state="))
        let back = try await AdminPageEndToEndTests.send(callback, headers: [("Cookie", cookie)])
        #expect(back.status == .seeOther && back.headers.first(name: "Location") == Self.signedOut + "?state=xyz")
        #expect(back.headers.first(name: "Set-Cookie")?.contains("Max-Age=0") == true, "the cookie is spent")

        // Single use: a replayed or forged state is a page, never a redirect.
        for url in [
            callback, daemon.publicURL + "/end-session/callback?state=forged",
            daemon.publicURL + "/end-session/callback",
        ] {
            let page = try await AdminPageEndToEndTests.send(url, headers: [("Cookie", cookie)])
            #expect(page.status == .badRequest && page.headers.first(name: "Location") == nil, "\(url)")
            #expect(page.body.contains("BR-6:"), "\(url)")
        }
        await daemon.stop()
        await shop.stop()
        await idp.stop()
    }

    /// BR-7: an RP that only supports front-channel logout gets a hidden iframe with `iss` and its
    /// `sid`; the page may frame that RP only, and continues by itself to the RP that asked.
    @Test func frontChannelRPsAreFramedOnTheWayBack() async throws {
        let shop = try await TestServer.start()
        let wiki = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        for body: JSONValue in [
            [
                "client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl"),
                "post_logout_redirect_uris": [.string(Self.signedOut)],
            ],
            [
                "client_id": "wiki", "backchannel_logout_uri": .string(wiki.url + "/bcl"),
                "frontchannel_logout_uri": .string(wiki.url + "/fc"), "frontchannel_logout_session_required": true,
            ],
        ] {
            let answer = try await daemon.admin(.POST, "/admin/v1/rps", body)
            #expect(answer.status == .created, "\(answer.body)")
        }
        for (rp, rpSid) in [("shop", "shop-s"), ("wiki", "wiki-s")] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                ["issuer": "idp", "sub": "u", "sid": "op-session", "client_id": .string(rp), "rp_sid": .string(rpSid)]
            )
        }
        let page = try await AdminPageEndToEndTests.send(
            daemon.publicURL + "/end-session?"
                + Self.query([
                    ("id_token_hint", try Self.idToken()), ("post_logout_redirect_uri", Self.signedOut),
                    ("state", "xyz"),
                ])
        )
        #expect(page.status == .ok)
        let frame = wiki.url + "/fc?iss=" + FormEncoding.encode(daemon.publicURL) + "&amp;sid=wiki-s"
        #expect(page.body.contains(#"<iframe class="frontchannel" src="\#(frame)""#), "\(page.body)")
        #expect(page.body.contains(#"<meta http-equiv="refresh" content="3;url=\#(Self.signedOut)?state=xyz">"#))
        #expect(page.body.contains(#"<a class="continue" href="\#(Self.signedOut)?state=xyz">"#))
        let policy = try #require(page.headers.first(name: "Content-Security-Policy"))
        #expect(policy.contains("frame-src \(wiki.url);") && policy.contains("frame-ancestors 'none'"), "\(policy)")
        #expect(!page.body.contains("<script"))
        #expect(await eventually { shop.received.count == 1 && wiki.received.count == 1 }, "back-channel too")
        await daemon.stop()
        await shop.stop()
        await wiki.stop()
    }
}
