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
                $0.texts.allSatisfy { !$0.contains("rt-secret") && !$0.contains("revocation-client") }
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

    /// An admin-triggered logout begins a trace its deliveries continue; a refused token's
    /// intake span names the rule, and its event keeps the trace; a malformed `traceparent` is
    /// ignored before the tracer sees it, so no request header reaches a log line (TRACE-3).
    @Test func anAdminLogoutAndARefusedTokenAreTracedToo() async throws {
        let receiver = try await OTLPReceiver.start()
        let shop = try await TestServer.start()
        let daemon = try DaemonProcess(extra: "tracing:\n  otlp_endpoint: \"\(receiver.endpoint)\"\n")
        daemon.environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl")]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "marie", "sid": "s-4", "client_id": "shop", "rp_sid": "r-4"]
        )
        let recorded = try await daemon.admin(.POST, "/admin/v1/logout", ["issuer": "idp", "sub": "marie"])
        #expect(recorded.status == .accepted, "\(recorded.body)")
        #expect(await eventually(timeout: 10) { shop.received.count == 1 })
        let delivered = try #require(
            shop.received.first?.headers["traceparent"].flatMap { TraceContext(traceparent: $0) }
        )

        let wrongAudience = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "someone-else",
            sub: "marie",
            sid: "s-4",
            key: Self.idpKey
        )
        let refused = try await daemon.request(
            daemon.publicURL + "/backchannel-logout",
            method: .POST,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("traceparent", "00-\(Self.traceID)-\(Self.idpSpanID)-01"),
            ],
            body: "logout_token=" + wrongAudience
        )
        #expect(refused.status == .badRequest)
        let malformed = try await daemon.request(
            daemon.publicURL + "/backchannel-logout",
            method: .POST,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("traceparent", "00-not-a-trace-context"),
                ("Authorization", "Bearer s3cr3t-bearer"), ("Cookie", "session=s3cr3t-cookie"),
            ],
            body: "logout_token=" + wrongAudience
        )
        #expect(malformed.status == .badRequest)
        // Rejections are written a moment after their answer.
        #expect(
            await eventually(timeout: 10) {
                let events = try? await daemon.admin(.GET, "/admin/v1/events?outcome=rejected").json["events"]?
                    .arrayValue
                return events?.count == 2
            }
        )
        let rejected =
            try await daemon.admin(.GET, "/admin/v1/events?outcome=rejected").json["events"]?.arrayValue ?? []
        #expect(rejected.contains { $0["trace_id"] == .string(Self.traceID) })
        await daemon.stop()
        #expect(!daemon.log.contains("s3cr3t") && !daemon.log.contains("Failed to extract"), "\(daemon.log)")

        let spans = try receiver.spans()
        let admin = try #require(spans.first { $0.name == "admin logout" }, "\(spans.map(\.name))")
        #expect(admin.traceID == delivered.traceID && admin.attributes["logoutd.issuer"] == "idp")
        #expect(spans.first { $0.name == "deliver logout" }?.parentSpanID == admin.spanID)
        let intake = try #require(spans.first { $0.name == "logout intake" && $0.traceID == Self.traceID })
        #expect(intake.attributes["logoutd.rule"] == "IN-9" && intake.attributes["logoutd.outcome"] == "rejected")
        #expect(intake.failed)
        #expect(spans.allSatisfy { $0.texts.allSatisfy { !$0.contains("s3cr3t") && !$0.contains("marie") } })
        await shop.stop()
        await receiver.stop()
    }
}
