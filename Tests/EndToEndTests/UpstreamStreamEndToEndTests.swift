import Foundation
import LogoutCore
import LogoutJWT
import NIOHTTP1
import TestSupport
import Testing

/// The receiver role's own stream at an upstream transmitter (issue 21), on two real binaries:
/// `hub` is an IdP-side logoutd and SSF transmitter, `edge` registers it as an issuer and is
/// told only its `ssf_configuration_url`, a token and the delivery. `edge` reads the metadata,
/// creates its stream, has it verified, polls it, and a logout at `hub` ends the session at
/// `edge` and reaches `edge`'s RP as a back-channel logout token, across a restart of `edge`
/// with nothing lost or applied twice; then the same by push, with the poll stream deleted at
/// the transmitter, and a wrong token shown as the stream's last error.
@Suite(.serialized) struct UpstreamStreamEndToEndTests {
    static let hubKey = TokenForge.newES256(kid: "hub-idp")

    @Test func aTransmitterServesByPollAndByPush() async throws {
        let shop = try await TestServer.start()
        let portal = try await TestServer.start()
        let hub = try DaemonProcess()
        let edge = try DaemonProcess(delivery: ["backoff_initial: \"100ms\"", "backoff_max: \"200ms\""])
        try await hub.start()
        try await edge.start()
        // The hub is its own IdP here (as Keycloak or Okta are): its users' `iss` is its URL.
        let hubIssuer = hub.publicURL
        let registered = try await hub.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "self", "issuer": .string(hubIssuer), "audience": "logoutd",
                "jwks": try TokenForge.jwks([Self.hubKey]),
            ]
        )
        #expect(registered.status == .created, "\(registered.body)")
        let receiver = try await hub.admin(.POST, "/admin/v1/ssf/receivers", ["name": "edge"])
        let token = try #require(receiver.json["token"]?.stringValue)

        let upstream = try await edge.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "hub", "issuer": .string(hubIssuer), "audience": "edge",
                "jwks_uri": .string(hub.publicURL + "/.well-known/jwks.json"),
            ]
        )
        #expect(upstream.status == .created, "\(upstream.body)")
        #expect(
            try await edge.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl")]
            ).status == .created
        )
        // The hub's own RP: a logout there ends sessions, which is what makes a SET.
        #expect(
            try await hub.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "portal", "backchannel_logout_uri": .string(portal.url + "/bcl")]
            ).status == .created
        )
        for (sub, sid) in [("marie", "s-1"), ("paul", "s-2"), ("lea", "s-3")] {
            for (daemon, client) in [(edge, "shop"), (hub, "portal")] {
                let session: JSONValue = [
                    "issuer": .string(hubIssuer), "sub": .string(sub), "sid": .string(sid),
                    "client_id": .string(client),
                ]
                #expect(try await daemon.admin(.POST, "/admin/v1/sessions", session).status == .created)
            }
        }
        func ssf() async throws -> JSONValue {
            try await edge.admin(.GET, "/admin/v1/issuers/hub").json["ssf"] ?? .null
        }
        func logout(_ sub: String, _ sid: String) async throws {
            let token = try TokenForge.logoutToken(
                issuer: hubIssuer,
                audience: "logoutd",
                sub: sub,
                sid: sid,
                key: Self.hubKey
            )
            #expect(try await hub.postLogout(token).status == .ok)
        }
        let configurationURL = hub.publicURL + "/.well-known/ssf-configuration"

        // A wrong token: the transmitter refuses, and the admin sees why.
        let wrong = try await edge.admin(
            .PATCH,
            "/admin/v1/issuers/hub",
            ["ssf_configuration_url": .string(configurationURL), "ssf_token": "not-the-token", "ssf_delivery": "poll"]
        )
        #expect(wrong.status == .ok, "\(wrong.body)")
        #expect(wrong.json["ssf"]?["state"] == "creating" && wrong.json["ssf"]?["delivery"] == "poll")
        #expect(!wrong.body.contains("not-the-token"), "the token is shown")
        #expect(
            await eventually(timeout: 15) { (try? await ssf()["last_error"]?.stringValue)?.contains("401") == true }
        )

        // The right token, same settings: the same stream goes on, now created and verified.
        let right = try await edge.admin(.PATCH, "/admin/v1/issuers/hub", ["ssf_token": .string(token)])
        #expect(right.status == .ok, "\(right.body)")
        #expect(await eventually(timeout: 20) { (try? await ssf()["state"]) == "verified" }, "\(edge.log.suffix(2000))")
        let polled = try await ssf()
        #expect(polled["last_error"] == .null && polled["verified_at"] != .null)
        let pollStream = try #require(polled["stream_id"]?.stringValue)
        let atHub = try await hub.admin(.GET, "/admin/v1/ssf/streams?receiver=edge").json["streams"]?.arrayValue ?? []
        #expect(atHub.count == 1 && atHub.first?["stream_id"]?.stringValue == pollStream, "\(atHub)")

        // A logout at the hub, polled: the session at the edge ends and the shop is told.
        try await logout("marie", "s-1")
        #expect(
            await eventually(timeout: 30) { shop.received.count == 1 },
            "\(edge.log.suffix(3000))\n---\n\(hub.log.suffix(4000))"
        )
        let marie = try CompactJWS.parse(try #require(shop.received.last?.formValue("logout_token"))).payload
        #expect(marie["sub"] == "marie" && marie["aud"] == "shop", "\(marie)")

        // Stopped, the edge misses nothing: the hub holds paul's SET until it is polled again.
        await edge.stop()
        try await logout("paul", "s-2")
        try await Task.sleep(for: .seconds(1))
        try await edge.start()
        #expect(await eventually(timeout: 30) { shop.received.count == 2 }, "\(edge.log.suffix(3000))")
        let paul = try CompactJWS.parse(try #require(shop.received.last?.formValue("logout_token"))).payload
        #expect(paul["sub"] == "paul")
        // Both acknowledged at the hub, and nothing applied twice.
        let hubSETs = "/admin/v1/ssf/streams/\(pollStream)/sets"
        #expect(
            await eventually(timeout: 30) {
                // The verification SET, marie's and paul's.
                let sets = (try? await hub.admin(.GET, hubSETs).json["sets"]?.arrayValue) ?? []
                return sets.count == 3 && sets.allSatisfy { $0["status"] == "delivered" }
            },
            "\(hub.log.suffix(2000))"
        )
        try await Task.sleep(for: .seconds(1))
        #expect(shop.received.count == 2, "a SET was applied twice")

        // By push: the poll stream is deleted at the hub, a push stream made and verified.
        // By the CLI, as an admin would.
        let config = ["--config", edge.configPath]
        let push = try await CLITests.run(["issuers", "update", "hub", "--ssf-delivery", "push", "--json"] + config)
        #expect(push.status == 0 && push.json["ssf"]?["state"] == "creating", "\(push.output) \(push.errors)")
        #expect(await eventually(timeout: 20) { (try? await ssf()["state"]) == "verified" }, "\(edge.log.suffix(2000))")
        let pushStream = try #require(try await ssf()["stream_id"]?.stringValue)
        #expect(pushStream != pollStream)
        let remaining = try await hub.admin(.GET, "/admin/v1/ssf/streams?receiver=edge").json["streams"]?.arrayValue
        #expect(remaining?.compactMap { $0["stream_id"]?.stringValue } == [pushStream], "\(remaining ?? [])")
        #expect(remaining?.first?["endpoint_url"]?.stringValue == edge.publicURL + "/ssf/push/hub")
        try await logout("lea", "s-3")
        #expect(await eventually(timeout: 30) { shop.received.count == 3 }, "\(edge.log.suffix(3000))")
        let lea = try CompactJWS.parse(try #require(shop.received.last?.formValue("logout_token"))).payload
        #expect(lea["sub"] == "lea")

        // Both delivery log pages show it: the hub its receiver's streams and their SETs, the
        // edge its own stream at the hub.
        func page(_ daemon: DaemonProcess) async throws -> String {
            try await AdminPageEndToEndTests.send(
                daemon.adminURL + "/admin/",
                headers: [("Authorization", "Bearer " + daemon.adminToken)]
            ).body
        }
        let hubPage = try await page(hub)
        #expect(hubPage.contains("<h2>Shared Signals</h2>") && hubPage.contains("<code>\(pushStream)</code>"))
        #expect(hubPage.contains(#"<span class="badge ok">delivered</span>"#), "\(hubPage)")
        let edgePage = try await page(edge)
        #expect(edgePage.contains(#"<td><code>hub</code></td><td>push</td><td><span class="badge ok">verified</span>"#))

        // Removed: deleted at the hub, gone from the issuer's view.
        let shown = try await CLITests.run(["issuers", "show", "hub"] + config)
        #expect(shown.output.contains("ssf.state") && shown.output.contains("verified"), "\(shown.output)")
        let both = try await CLITests.run(["issuers", "update", "hub", "--no-ssf", "--ssf-delivery", "poll"] + config)
        #expect(both.status != 0 && both.errors.contains("--no-ssf"), "\(both.errors)")
        let removed = try await CLITests.run(["issuers", "update", "hub", "--no-ssf", "--json"] + config)
        #expect(removed.status == 0 && removed.json["ssf"] == .null, "\(removed.output) \(removed.errors)")
        let none = try await hub.admin(.GET, "/admin/v1/ssf/streams?receiver=edge").json["streams"]?.arrayValue
        #expect(none?.isEmpty == true, "\(none ?? [])")
        #expect(!edge.log.contains(token) && !hub.log.contains(token), "the token was logged")

        await edge.stop()
        await hub.stop()
        await shop.stop()
        await portal.stop()
    }
}
