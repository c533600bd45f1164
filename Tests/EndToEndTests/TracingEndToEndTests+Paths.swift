import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// The other paths of a logout, each a span of its trace: a revocation of its session's upstream
/// token (RFC 7009), and RP-initiated logout (`/end-session`).
extension TracingEndToEndTests {
    /// A revocation (RFC 7009) is a client span of the same trace, and the issuer sees it.
    @Test(arguments: StoreKind.allCases)
    func aRevocationIsASpanOfTheLogoutsTrace(kind: StoreKind) async throws {
        let receiver = try await OTLPReceiver.start()
        let idp = try await TestServer.start()
        let shop = try await TestServer.start()
        let daemon = try DaemonProcess(
            database: kind == .postgres ? try await TestPostgres.freshDatabase() : nil,
            busyTimeout: "10s",
            extra: "tracing:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n"
        )
        daemon.environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        try await daemon.start()
        let issuer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([Self.idpKey]), "revocation_endpoint": .string(idp.url + "/revoke"),
                "client_id": "logoutd-at-idp", "client_secret": "revocation-client-secret",
            ]
        )
        #expect(issuer.status == .created, "\(issuer.body)")
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl")]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "marie", "sid": "s-2", "client_id": "shop", "refresh_token": "rt-secret-value"]
        )
        let (_, answer) = try await Self.postLogout(sub: "marie", sid: "s-2", to: daemon)
        #expect(answer.status == .ok, "\(answer.body)")
        #expect(await eventually(timeout: 20) { idp.received.count == 1 && shop.received.count == 1 })
        await daemon.stop()
        let revoked = try #require(idp.received.first?.headers["traceparent"].flatMap { TraceContext(traceparent: $0) })
        #expect(revoked.traceID == Self.traceID)
        let spans = try receiver.spans().filter { $0.traceID == Self.traceID }
        let span = try #require(spans.first { $0.name == "revoke token" }, "\(spans.map(\.name))")
        #expect(span.spanID == revoked.spanID && span.kind == "client")
        #expect(span.attributes["logoutd.token_type"] == "refresh_token")
        #expect(spans.first { $0.name == "logout intake" }?.spanID == span.parentSpanID)
        #expect(
            spans.allSatisfy {
                $0.attributes.values.allSatisfy { !$0.contains("rt-secret") && !$0.contains("revocation-client") }
            }
        )
        for server in [idp, shop] { await server.stop() }
        await receiver.stop()
    }

    /// `/end-session` (RP-initiated logout) is in the caller's trace too: its event keeps the
    /// server span's context, and the other RP's delivery continues it.
    @Test func anEndSessionLogoutIsInTheCallersTrace() async throws {
        let receiver = try await OTLPReceiver.start()
        let shop = try await TestServer.start()
        let billing = try await TestServer.start()
        let daemon = try DaemonProcess(extra: "tracing:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n")
        daemon.environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        try await daemon.start()
        try await daemon.registerIdP(EndSessionEndToEndTests.idpKey)
        for (id, server, uris) in [("shop", shop, [EndSessionEndToEndTests.signedOut]), ("billing", billing, [])] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                [
                    "client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl"),
                    "post_logout_redirect_uris": .array(uris.map(JSONValue.string)),
                ]
            )
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                ["issuer": "idp", "sub": "u", "sid": "op-session", "client_id": .string(id)]
            )
        }
        let hint = try EndSessionEndToEndTests.idToken()
        let query = EndSessionEndToEndTests.query([
            ("id_token_hint", hint), ("post_logout_redirect_uri", EndSessionEndToEndTests.signedOut),
        ])
        // As a browser: the 303 to the RP's page is the answer, not followed.
        let page = try await AdminPageEndToEndTests.send(
            daemon.publicURL + "/end-session?" + query,
            headers: [("traceparent", "00-\(Self.traceID)-\(Self.idpSpanID)-01")]
        )
        #expect(page.status == .seeOther)
        #expect(await eventually(timeout: 10) { billing.received.count == 1 })
        let parent = try #require(
            billing.received.first?.headers["traceparent"].flatMap { TraceContext(traceparent: $0) }
        )
        #expect(parent.traceID == Self.traceID)
        let events = try await daemon.admin(.GET, "/admin/v1/events?outcome=accepted").json["events"]?.arrayValue
        #expect(events?.first?["source"] == "end-session" && events?.first?["trace_id"] == .string(Self.traceID))
        await daemon.stop()
        let spans = try receiver.spans().filter { $0.traceID == Self.traceID }
        #expect(spans.contains { $0.name == "GET /end-session" && $0.parentSpanID == Self.idpSpanID })
        let signature = String(hint.split(separator: ".").last ?? "")
        #expect(spans.allSatisfy { $0.texts.allSatisfy { !$0.contains(signature) && !$0.contains("op-session") } })
        for server in [shop, billing] { await server.stop() }
        await receiver.stop()
    }
}
