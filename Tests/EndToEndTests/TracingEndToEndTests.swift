import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// One trace per logout (`tracing:`): from the IdP's span through every attempt at every RP,
/// across a restart, exported to a real OTLP/HTTP receiver.
@Suite(.serialized) struct TracingEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "trace-idp")
    /// The IdP's span, as its `traceparent` names it.
    static let traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
    static let idpSpanID = "00f067aa0ba902b7"

    @Test(arguments: StoreKind.allCases)
    func oneTraceFromTheIdPThroughEveryAttemptAcrossARestart(kind: StoreKind) async throws {
        let receiver = try await OTLPReceiver.start()
        let healthy = try await TestServer.start()
        let alsoHealthy = try await TestServer.start()
        // Fails twice, then takes it: the third attempt runs after the restart.
        let flaky = try await TestServer.start { index, _ in index < 2 ? Behavior(status: 500) : .ok }
        let daemon = try DaemonProcess(
            delivery: ["backoff_initial: \"1s\"", "backoff_max: \"1s\""],
            database: kind == .postgres ? try await TestPostgres.freshDatabase() : nil,
            busyTimeout: "10s",
            extra: """
                tracing:
                  otlp_endpoint: "\(receiver.endpoint)"
                  sample_ratio: 1.0
                  service_name: "logoutd-test"
                  ui_url: "http://jaeger.example/trace/{trace_id}"
                """
        )
        daemon.environment["OTEL_BSP_SCHEDULE_DELAY"] = "100"
        // A line per logout and per delivery: those written inside a span carry its ids.
        daemon.environment["LOGOUTD_LOG_LEVEL"] = "debug"
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        for (id, server) in [("shop", healthy), ("forum", alsoHealthy), ("wiki", flaky)] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl")]
            )
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                [
                    "issuer": "https://idp.example", "sub": "marie", "sid": "s-1", "client_id": .string(id),
                    "rp_sid": .string("\(id)-s-1"),
                ]
            )
        }
        let token = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "marie",
            sid: "s-1",
            key: Self.idpKey
        )
        let answer = try await daemon.request(
            daemon.publicURL + "/backchannel-logout",
            method: .POST,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("traceparent", "00-\(Self.traceID)-\(Self.idpSpanID)-01"), ("tracestate", "idp=t61rcWkgMzE"),
            ],
            body: "logout_token=" + token
        )
        #expect(answer.status == .ok, "\(answer.body)")

        // Two failed attempts at the wiki, then a stop and a start: the third is the new process's.
        #expect(await eventually(timeout: 20) { flaky.received.count == 2 })
        await daemon.stop()
        #expect(flaky.received.count == 2)
        try await daemon.start()
        #expect(await eventually(timeout: 20) { flaky.received.count == 3 })
        #expect(healthy.received.count == 1 && alsoHealthy.received.count == 1)
        let wiki = try await Self.delivery(of: "wiki", daemon)
        #expect(
            await eventually(timeout: 10) { (try? await Self.delivery(of: "wiki", daemon))?["status"] == "delivered" }
        )
        await daemon.stop()

        if let path = ProcessInfo.processInfo.environment["LOGOUTD_TEST_TRACE_DUMP"] {
            let dump = OTLPReceiver.tree(
                try receiver.spans().filter { $0.traceID == Self.traceID },
                root: Self.idpSpanID
            )
            try (dump.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }

        // Every request each RP saw carried the IdP's trace, with the attempt's span as parent.
        let requests = healthy.received + alsoHealthy.received + flaky.received
        let parents = requests.compactMap { $0.headers["traceparent"] }
        #expect(parents.count == 5, "\(requests.map(\.headers))")
        for parent in parents {
            let context = try #require(TraceContext(traceparent: parent))
            #expect(context.traceID == Self.traceID)
        }
        #expect(requests.allSatisfy { $0.headers["tracestate"] == "idp=t61rcWkgMzE" })

        // The exporter's spans: the intake's under the IdP's, each attempt under the intake's.
        let spans = try receiver.spans()
        let trace = spans.filter { $0.traceID == Self.traceID }
        let server = try #require(trace.first { $0.kind == "server" }, "\(spans.map(\.name))")
        #expect(server.parentSpanID == Self.idpSpanID)
        #expect(server.name == "POST /backchannel-logout")
        let intake = try #require(trace.first { $0.name == "logout intake" })
        #expect(intake.parentSpanID == server.spanID)
        #expect(intake.attributes["logoutd.issuer"] == "idp" && intake.attributes["logoutd.outcome"] == "accepted")
        for name in ["verify signature", "record logout"] {
            #expect(trace.first { $0.name == name }?.parentSpanID == intake.spanID, "\(name)")
        }
        let attempts = trace.filter { $0.name == "deliver logout" }
        #expect(attempts.count == 5)
        #expect(attempts.allSatisfy { $0.parentSpanID == intake.spanID && $0.kind == "client" })
        let wikiAttempts = attempts.filter { $0.attributes["logoutd.client_id"] == "wiki" }
            .sorted { $0.attributes["logoutd.attempt"] ?? "" < $1.attributes["logoutd.attempt"] ?? "" }
        #expect(wikiAttempts.map { $0.attributes["logoutd.attempt"] } == ["1", "2", "3"])
        #expect(wikiAttempts.map { $0.attributes["http.response.status_code"] } == ["500", "500", "200"])
        #expect(wikiAttempts.map(\.failed) == [true, true, false])
        // Each RP's parent is one of the attempt spans, not the intake's.
        #expect(Set(parents.compactMap { TraceContext(traceparent: $0)?.spanID }) == Set(attempts.map(\.spanID)))
        // No token, no part of one, no subject and no session id in anything any span exports.
        let signature = String(token.split(separator: ".").last ?? "")
        let payload = String(token.split(separator: ".")[1])
        for forbidden in [signature, payload, "marie", "s-1"] {
            #expect(spans.allSatisfy { $0.texts.allSatisfy { !$0.contains(forbidden) } }, "\(forbidden)")
        }

        // The journal's lines: the intake's, inside its span, carry trace_id and span_id; each
        // delivery's outcome line names its attempt's trace.
        let lines = daemon.log.split(separator: "\n")
        let accepted = lines.filter { $0.contains("logout accepted") && $0.contains("trace_id=\(Self.traceID)") }
        #expect(accepted.contains { $0.contains("span_id=") }, "\(lines.filter { $0.contains("accepted") })")
        #expect(lines.contains { $0.contains("rp.client_id=wiki") && $0.contains("trace_id=\(Self.traceID)") })

        // The attempt log names the trace of each attempt, and the event its trace.
        try await daemon.start()
        let shown = try await CLITests.run([
            "deliveries", "show", String(Int(wiki["id"]?.numberValue ?? 0)), "--config", daemon.configPath,
        ])
        #expect(shown.status == 0 && shown.output.components(separatedBy: Self.traceID).count == 4, "\(shown.output)")
        let events = try await daemon.admin(.GET, "/admin/v1/events").json["events"]?.arrayValue ?? []
        #expect(events.first?["trace_id"] == .string(Self.traceID))
        let page = try await daemon.get(
            daemon.adminURL + "/admin/",
            headers: [("Authorization", "Bearer \(daemon.adminToken)")]
        )
        #expect(page.body.contains("<a href=\"http://jaeger.example/trace/\(Self.traceID)\">\(Self.traceID)</a>"))

        // A query is never recorded: `/end-session`'s holds an ID token.
        let hint = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJtYXJpZSJ9.c2VjcmV0LWhpbnQtc2lnbmF0dXJl"
        _ = try await daemon.get(daemon.publicURL + "/end-session?id_token_hint=\(hint)&state=s3cr3t-state")
        await daemon.stop()
        let later = try receiver.spans()
        #expect(later.contains { $0.name == "GET /end-session" }, "\(later.map(\.name))")
        #expect(
            later.allSatisfy { $0.attributes.values.allSatisfy { !$0.contains("c2VjcmV0") && !$0.contains("s3cr3t") } }
        )
        for server in [healthy, alsoHealthy, flaky] { await server.stop() }
        await receiver.stop()
    }

    /// Off (the default), nothing of it runs: the notifier's `traceparent` goes nowhere, no RP
    /// gets one, and no trace id is kept (TRACE-3).
    @Test func offNothingIsStoredOrSent() async throws {
        let rp = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "shop", "backchannel_logout_uri": .string(rp.url + "/bcl")]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "https://idp.example", "sub": "marie", "sid": "s-3", "client_id": "shop", "rp_sid": "r-3"]
        )
        let (_, answer) = try await Self.postLogout(sub: "marie", sid: "s-3", to: daemon)
        #expect(answer.status == .ok)
        #expect(await eventually(timeout: 10) { rp.received.count == 1 })
        #expect(rp.received.first?.headers["traceparent"] == nil && rp.received.first?.headers["tracestate"] == nil)
        let delivery = try await Self.delivery(of: "shop", daemon)
        #expect(delivery["attempt_log"]?.arrayValue?.first?["trace_id"] == .null)
        let events = try await daemon.admin(.GET, "/admin/v1/events").json["events"]?.arrayValue ?? []
        #expect(events.first?["trace_id"] == .null)
        #expect(!daemon.log.contains("trace_id") && !daemon.log.contains("tracing on"))
        await daemon.stop()
        await rp.stop()
    }

    /// Posts a logout token for `sub`/`sid`, as the IdP's span (`traceparent`) names it.
    static func postLogout(
        sub: String,
        sid: String,
        to daemon: DaemonProcess
    ) async throws -> (String, DaemonProcess.Answer) {
        let token = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: sub,
            sid: sid,
            key: idpKey
        )
        let answer = try await daemon.request(
            daemon.publicURL + "/backchannel-logout",
            method: .POST,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("traceparent", "00-\(traceID)-\(idpSpanID)-01"),
            ],
            body: "logout_token=" + token
        )
        return (token, answer)
    }

    static func delivery(of clientID: String, _ daemon: DaemonProcess) async throws -> JSONValue {
        let list = try await daemon.admin(.GET, "/admin/v1/deliveries?client_id=\(clientID)").json
        let id = Int(list["deliveries"]?.arrayValue?.first?["id"]?.numberValue ?? 0)
        return try await daemon.admin(.GET, "/admin/v1/deliveries/\(id)").json
    }
}
