import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// The front-channel bridge on the real binary (FC-1 to FC-4): an OP that only logs out through
/// the browser loads `/frontchannel-logout/{name}` in an iframe, and every RP of that session gets
/// a back-channel logout token, durably queued; the sid, the request's only credential, shows in
/// no log line and on no page.
@Suite(.serialized) struct FrontChannelIntakeEndToEndTests {
    /// Distinctive, so a search of the log and the page finds it if it leaks.
    static let sid = "llng-sid-7f2a+b/Zq=="

    static func url(_ daemon: DaemonProcess, name: String = "idp", _ fields: [(String, String)]) -> String {
        daemon.publicURL + "/frontchannel-logout/\(name)?"
            + fields.map { "\($0)=\(FormEncoding.encode($1))" }.joined(separator: "&")
    }

    @Test func anOPsFrontChannelLogoutReachesEveryRPOfThatSessionOnce() async throws {
        let shop = try await TestServer.start()
        let wiki = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await daemon.registerIdP(TokenForge.newES256(kid: "idp-1"))
        let logout = Self.url(daemon, [("iss", "https://idp.example"), ("sid", Self.sid)])

        // Off by default: the same 404 as an unknown name, and not framable.
        for url in [logout, Self.url(daemon, name: "nobody", [("iss", "https://idp.example"), ("sid", Self.sid)])] {
            let page = try await AdminPageEndToEndTests.send(url)
            #expect(page.status == .notFound, "\(url): \(page.body)")
            #expect(page.headers.first(name: "Content-Security-Policy")?.hasSuffix("frame-ancestors 'none'") == true)
            #expect(page.headers.first(name: "X-Frame-Options") == "DENY")
        }
        let config = ["--config", daemon.configPath]
        let turnedOn = try await CLITests.run(["issuers", "update", "idp", "--frontchannel-intake"] + config)
        #expect(turnedOn.status == 0, "\(turnedOn.output) \(turnedOn.errors)")
        let shown = try await CLITests.run(["issuers", "show", "idp"] + config)
        #expect(shown.output.contains("on: /frontchannel-logout/idp"), "\(shown.output)")

        for (id, server) in [("shop", shop), ("wiki", wiki)] {
            let rp = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl")]
            )
            #expect(rp.status == .created, "\(rp.body)")
            let session = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                // The shop logged Marie in at the OP itself, so it knows the OP's sid; the wiki
                // does not (RES-3: it is told by sub).
                [
                    "issuer": "idp", "sub": "marie", "sid": .string(Self.sid), "client_id": .string(id),
                    "rp_sid": id == "shop" ? .string(Self.sid) : .null,
                ]
            )
            #expect(session.status == .created, "\(session.body)")
        }
        // Marie's session in another browser: another sid, which this logout must not end.
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "marie", "sid": "other-browser", "client_id": "shop"]
        )

        // Refusals: a 400 page the OP may frame, nothing recorded or queued.
        for (fields, rule) in [
            ([("iss", "https://evil.example"), ("sid", Self.sid)], "FC-2"),
            ([("iss", "https://idp.example")], "FC-2"),
        ] {
            let page = try await AdminPageEndToEndTests.send(Self.url(daemon, fields))
            #expect(page.status == .badRequest && page.body.contains(rule + ":"), "\(fields): \(page.body)")
            #expect(
                page.headers.first(name: "Content-Security-Policy")?.contains("frame-ancestors https://idp.example")
                    == true
            )
        }
        let posted = try await AdminPageEndToEndTests.send(logout, method: .POST, form: [("sid", Self.sid)])
        #expect(posted.status == .methodNotAllowed && posted.headers.first(name: "Allow") == "GET")
        // A sid no live session holds: "signed out" to the OP, and nothing recorded.
        let unknown = try await AdminPageEndToEndTests.send(
            Self.url(daemon, [("iss", "https://idp.example"), ("sid", "never-seen")])
        )
        #expect(unknown.status == .ok)
        #expect(
            try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue?.isEmpty
                == true
        )

        // The OP's iframe.
        let page = try await AdminPageEndToEndTests.send(logout, headers: [("Referer", "https://idp.example/logout")])
        #expect(page.status == .ok && page.body.contains("Signed out"))
        #expect(
            page.headers.first(name: "Content-Security-Policy")
                == "default-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors https://idp.example"
        )
        #expect(page.headers.first(name: "X-Frame-Options") == nil)
        #expect(page.headers.first(name: "Cache-Control") == "no-cache, no-store")
        #expect(await eventually { shop.received.count == 1 && wiki.received.count == 1 })
        for (server, audience, sid) in [
            (shop, "shop", Optional(JSONValue.string(Self.sid))), (wiki, "wiki", JSONValue?.none),
        ] {
            let token = try #require(server.received.first?.formValue("logout_token"))
            let claims = try CompactJWS.parse(token).payload
            #expect(claims["aud"] == .string(audience) && claims["sid"] == sid && claims["sub"] == "marie", "\(claims)")
        }
        let events = try #require(
            try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue
        )
        #expect(events.count == 1)
        #expect(events.first?["source"] == "frontchannel" && events.first?["deliveries"] == 2)
        #expect(events.first?["iss"] == "https://idp.example")

        // The iframe again (a reload): the same page, nothing more recorded or sent.
        let again = try await AdminPageEndToEndTests.send(logout)
        #expect(again.status == .ok)
        try await Task.sleep(for: .milliseconds(300))
        #expect(shop.received.count == 1 && wiki.received.count == 1)
        #expect(
            try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue?.count == 1
        )
        let live = try await daemon.admin(.GET, "/admin/v1/sessions?sub=marie").json["sessions"]?.arrayValue
        #expect(live?.count == 1 && live?.first?["sid"] == "other-browser", "\(String(describing: live))")

        // The OP gives the same sid to a new session (LemonLDAP::NG's sid is the user's login):
        // the next front-channel logout ends that one too, minutes after the first (found by an
        // outside review: a repeat record once swallowed it for 10 minutes).
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            [
                "issuer": "idp", "sub": "marie", "sid": .string(Self.sid), "client_id": "shop",
                "rp_sid": .string(Self.sid),
            ]
        )
        #expect(try await AdminPageEndToEndTests.send(logout).status == .ok)
        #expect(await eventually { shop.received.count == 2 }, "the session under a reused sid survived")
        #expect(wiki.received.count == 1)
        #expect(
            try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue?.count == 2
        )

        // Neither the journal nor the delivery log page shows the sid.
        let signIn = try await AdminPageEndToEndTests.send(
            daemon.adminURL + "/admin/login",
            method: .POST,
            form: [("token", daemon.adminToken)]
        )
        let cookie = try #require(signIn.headers.first(name: "Set-Cookie")).prefix { $0 != ";" }
        let logPage = try await AdminPageEndToEndTests.send(
            daemon.adminURL + "/admin/",
            headers: [("Cookie", String(cookie))]
        )
        #expect(logPage.status == .ok && logPage.body.contains("frontchannel"))
        #expect(!logPage.body.contains(Self.sid) && !logPage.body.contains("never-seen"))
        // Turned off again: the same 404 as before.
        let off = try await CLITests.run(["issuers", "update", "idp", "--no-frontchannel-intake", "--json"] + config)
        #expect(off.status == 0 && off.output.contains(#""frontchannel_intake" : false"#), "\(off.output)")
        #expect(try await AdminPageEndToEndTests.send(logout).status == .notFound)
        await daemon.stop()
        #expect(daemon.log.contains("front-channel logout refused") && daemon.log.contains("sid_hash"))
        #expect(!daemon.log.contains(Self.sid) && !daemon.log.contains("never-seen"), "a sid reached the journal")
    }
}
