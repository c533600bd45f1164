import Foundation
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import Synchronization
import TestSupport
import Testing

@testable import LogoutService

/// Our own stream at an issuer's transmitter (SSF-5, the receiver role), against a transmitter
/// the test plays: the admin's settings are checked and the token sealed; a poll stream is
/// created, verified and polled with our token; a polled SET ends its session and is
/// acknowledged only once applied, one we refuse is reported in `setErrs`; metadata naming
/// another issuer is refused before our token goes to any endpoint it names.
@Suite struct UpstreamStreamTests {
    static let revoked = SSFEventType.sessionRevoked.rawValue

    /// How the played transmitter answers what differs between tests.
    struct Script: Sendable {
        /// The `sets` members of the first poll's answer (JSON), then none.
        var firstSets: @Sendable () throws -> String = { "" }
        var moreAvailable = false
        /// The stream creation's answer (its `aud` member, or a 409 with the stream listed).
        var audience: String? = nil
        var conflict = false
        /// Called with the verification request's `state` before the answer; its status.
        var verify: @Sendable (String) async -> Int = { _ in 204 }
    }

    /// A transmitter serving metadata for `issuer` and one poll stream, `s-9`, as `script` says.
    static func transmitter(issuer: String, _ script: Script = Script()) async throws -> TestServer {
        let polls = Mutex(0)
        let base = Mutex("")
        let server = try await TestServer.start { _, request in
            let url = base.withLock { $0 }
            let stream =
                #"{"stream_id":"s-9","events_delivered":["\#(revoked)"],"#
                + (script.audience.map { #""aud":"\#($0)","# } ?? "")
                + #""delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"\#(url)/poll"}}"#
            switch (request.method, request.path) {
            case ("GET", "/.well-known/ssf-configuration"):
                return .json(
                    #"{"issuer":"\#(issuer)","configuration_endpoint":"\#(url)/streams","#
                        + #""verification_endpoint":"\#(url)/verify","delivery_methods_supported":["urn:ietf:rfc:8936"]}"#
                )
            case ("POST", "/streams"):
                return script.conflict ? .json(#"{"error":"conflict"}"#, status: 409) : .json(stream, status: 201)
            case ("GET", "/streams"):
                return .json("[" + stream + "]")
            case ("DELETE", "/streams"):
                return Behavior(status: 204)
            case ("POST", "/verify"):
                let body = (try? StrictJSONParser.parse(Array(request.body.utf8))) ?? .null
                return Behavior(status: await script.verify(body["state"]?.stringValue ?? ""))
            case ("POST", "/poll"):
                let first = polls.withLock { count in
                    defer { count += 1 }
                    return count == 0
                }
                let members = first ? (try? script.firstSets()) ?? "" : ""
                return .json(#"{"sets":{\#(members)},"moreAvailable":\#(script.moreAvailable)}"#)
            default:
                return Behavior(status: 404)
            }
        }
        base.withLock { $0 = server.url }
        return server
    }

    static func polls(_ server: TestServer) -> [JSONValue] {
        server.received.filter { $0.path == "/poll" }.compactMap { try? StrictJSONParser.parse(Array($0.body.utf8)) }
    }

    @Test func aPollStreamIsCreatedVerifiedAndItsSETsAppliedThenAcknowledged() async throws {
        let rp = try await TestServer.start()
        defer { Task { await rp.stop() } }
        let good = try SharedSignalsReceiverTests.set(jti: "good", aud: Harness.audience)
        let transmitter = try await Self.transmitter(
            issuer: Harness.idpIssuer,
            Script(firstSets: { #""good":"\#(good)","bad":"not.a.set","odd":{"not":"a string"}"# })
        )
        defer { Task { await transmitter.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: rp.url + "/logout")
            try await harness.addSession(sub: "marie", sid: "s-1", rp: "shop")
            let ssf = harness.components.sharedSignals
            try await Harness.running(
                [harness.components.dispatcher, ssf.upstreams],
                logger: harness.components.logger
            ) {
                let shown = try await harness.admin.updateIssuer(
                    named: "idp",
                    IssuerChange(
                        ssfConfigurationURL: .value(transmitter.url + "/.well-known/ssf-configuration"),
                        ssfToken: .value("tok-123")
                    )
                )
                #expect(shown.ssf?.delivery == "poll" && shown.ssf?.state == "creating", "poll is the default")
                let stored = try #require(try await harness.database.upstreamStream(issuer: "idp"))
                #expect(!String(decoding: stored.sealedToken, as: UTF8.self).contains("tok-123"), "the token is sealed")
                try await SharedSignalsPushTests.waitUntil { rp.received.count == 1 }
                #expect(
                    try CompactJWS.parse(try #require(rp.received.first?.formValue("logout_token"))).payload["sub"]
                        == "marie"
                )
                try await SharedSignalsPushTests.waitUntil {
                    transmitter.received.filter { $0.path == "/poll" }.count >= 2
                }
                let polls = transmitter.received.filter { $0.path == "/poll" }
                let second = try StrictJSONParser.parse(Array(polls[1].body.utf8))
                #expect(second["ack"] == ["good"], "the applied SET is acknowledged with the next poll")
                #expect(second["setErrs"]?["bad"]?["err"] == "invalid_request", "the refused one is reported")
                #expect(second["setErrs"]?["odd"]?["err"] == "invalid_request", "so is a value that is no SET")
                #expect(second["returnImmediately"] == false)
                let first = try StrictJSONParser.parse(Array(polls[0].body.utf8))
                #expect(first["ack"] == nil && first["setErrs"] == nil)
                #expect(transmitter.received.allSatisfy { $0.authorization == "Bearer tok-123" })
                let creation = try #require(transmitter.received.first { $0.path == "/streams" })
                #expect(
                    try StrictJSONParser.parse(Array(creation.body.utf8))["delivery"] == ["method": "urn:ietf:rfc:8936"]
                )
                let verification = try #require(transmitter.received.first { $0.path == "/verify" })
                let state = try #require(
                    try StrictJSONParser.parse(Array(verification.body.utf8))["state"]?.stringValue
                )
                let view = try await harness.admin.issuer(named: "idp").ssf
                #expect(view?.streamID == "s-9" && view?.lastError == nil && view?.lastPolledAt != nil)
                #expect(view?.state == "verifying", "no verification SET came back yet")
                #expect(try await harness.database.upstreamStream(issuer: "idp")?.verificationState == state)
            }
        }
    }

    @Test func metadataOfAnotherIssuerIsRefusedBeforeTheTokenGoesAnywhere() async throws {
        let transmitter = try await Self.transmitter(issuer: "https://evil.example")
        defer { Task { await transmitter.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            let ssf = harness.components.sharedSignals
            try await Harness.running([ssf.upstreams], logger: harness.components.logger) {
                _ = try await harness.admin.updateIssuer(
                    named: "idp",
                    IssuerChange(
                        ssfConfigurationURL: .value(transmitter.url + "/.well-known/ssf-configuration"),
                        ssfToken: .value("tok-123"),
                        ssfDelivery: .value("poll")
                    )
                )
                try await SharedSignalsPushTests.waitUntil {
                    (try? await harness.admin.issuer(named: "idp").ssf?.lastError)??.contains("evil.example") == true
                }
                #expect(transmitter.received.allSatisfy { $0.path == "/.well-known/ssf-configuration" })
                #expect(try await harness.admin.issuer(named: "idp").ssf?.state == "creating")
            }
        }
    }

    /// The intake, once the harness made it: what the played transmitter pushes to.
    final class IntakeBox: Sendable {
        let intake = Mutex<(any SecurityEventIntake)?>(nil)
    }

    /// Runs the upstream service against `script`'s transmitter with the stream set up for
    /// `idp`, and `body` with the harness and the transmitter.
    static func running(
        _ script: Script,
        intake box: IntakeBox? = nil,
        _ body: (Harness, TestServer) async throws -> Void
    ) async throws {
        let transmitter = try await Self.transmitter(issuer: Harness.idpIssuer, script)
        defer { Task { await transmitter.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            box?.intake.withLock { $0 = harness.components.intake }
            try await Harness.running([harness.components.sharedSignals.upstreams], logger: harness.components.logger) {
                _ = try await harness.admin.updateIssuer(
                    named: "idp",
                    IssuerChange(
                        ssfConfigurationURL: .value(transmitter.url + "/.well-known/ssf-configuration"),
                        ssfToken: .value("tok-123")
                    )
                )
                try await body(harness, transmitter)
            }
        }
    }

    static func view(_ harness: Harness) async throws -> UpstreamStreamView? {
        try await harness.admin.issuer(named: "idp").ssf
    }

    /// The verification SET may come (pushed, or polled by another replica) before the
    /// transmitter answers the request: the stream stays verified.
    @Test func aVerificationArrivingBeforeItsAnswerIsKept() async throws {
        let box = IntakeBox()
        var script = Script()
        script.verify = { state in
            let set = try? SharedSignalsReceiverTests.set(
                aud: Harness.audience,
                subject: #"{"format":"opaque","id":"s-9"}"#,
                event: SSFEventType.verification.rawValue,
                payload: #"{"state":"\#(state)"}"#
            )
            if let set, let intake = box.intake.withLock({ $0 }) {
                _ = await intake.receive(securityEvent: set, issuerName: "idp", clientAddress: nil, budgetKey: nil)
            }
            return 204
        }
        try await Self.running(script, intake: box) { harness, transmitter in
            try await SharedSignalsPushTests.waitUntil { try await Self.view(harness)?.state == "verified" }
            try await SharedSignalsPushTests.waitUntil { Self.polls(transmitter).count >= 2 }
            let view = try await Self.view(harness)
            #expect(view?.state == "verified" && view?.verifiedAt != nil, "a later write took it back")
        }
    }

    /// `moreAvailable` with nothing in it, or a transmitter that ignores long polling: polled at
    /// most every 2 s, not in a loop.
    @Test func aPollThatBringsNothingNewIsNotRepeatedAtOnce() async throws {
        var script = Script()
        script.moreAvailable = true
        try await Self.running(script) { _, transmitter in
            try await SharedSignalsPushTests.waitUntil { !Self.polls(transmitter).isEmpty }
            try await Task.sleep(for: .seconds(3))
            let count = Self.polls(transmitter).count
            #expect(count >= 2 && count <= 3, "\(count) polls in 3 s")
        }
    }

    /// SSF lets a transmitter refuse or rate-limit verification: the stream is polled anyway,
    /// and its last error says why it is not verified.
    @Test func aRefusedVerificationDoesNotStopPolling() async throws {
        var script = Script()
        script.verify = { _ in 429 }
        try await Self.running(script) { harness, transmitter in
            try await SharedSignalsPushTests.waitUntil { Self.polls(transmitter).count >= 2 }
            let view = try await Self.view(harness)
            #expect(
                view?.state == "verifying" && view?.lastError?.contains("HTTP 429") == true,
                "\(String(describing: view))"
            )
            #expect(transmitter.received.filter { $0.path == "/verify" }.count == 1, "asked again at once")
        }
    }

    /// A transmitter that holds one stream per receiver answers 409: the one it lists is ours.
    @Test func aConflictAdoptsTheListedStream() async throws {
        var script = Script()
        script.conflict = true
        try await Self.running(script) { harness, transmitter in
            try await SharedSignalsPushTests.waitUntil { try await Self.view(harness)?.streamID == "s-9" }
            try await SharedSignalsPushTests.waitUntil { !Self.polls(transmitter).isEmpty }
            #expect(try await Self.view(harness)?.state == "verifying")
        }
    }

    /// A stream whose SETs would carry an audience we refuse is deleted at once and said so,
    /// rather than every SET of it refused.
    @Test func anAudienceWeWouldRefuseIsSaidAtOnce() async throws {
        var script = Script()
        script.audience = "someone-else"
        try await Self.running(script) { harness, transmitter in
            try await SharedSignalsPushTests.waitUntil {
                try await Self.view(harness)?.lastError?.contains("aud someone-else") == true
            }
            #expect(transmitter.received.contains { $0.method == "DELETE" && $0.query == "stream_id=s-9" })
            #expect(Self.polls(transmitter).isEmpty)
            #expect(try await Self.view(harness)?.streamID == nil)
        }
    }

    /// A stop gives the stream's lease back: another replica takes the stream at once, not
    /// after the lease's minute.
    @Test func aStopGivesTheLeaseBack() async throws {
        let transmitter = try await Self.transmitter(issuer: Harness.idpIssuer)
        defer { Task { await transmitter.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await Harness.running([harness.components.sharedSignals.upstreams], logger: harness.components.logger) {
                _ = try await harness.admin.updateIssuer(
                    named: "idp",
                    IssuerChange(
                        ssfConfigurationURL: .value(transmitter.url + "/.well-known/ssf-configuration"),
                        ssfToken: .value("tok-123")
                    )
                )
                try await SharedSignalsPushTests.waitUntil { !Self.polls(transmitter).isEmpty }
                let stream = try #require(try await harness.database.upstreamStream(issuer: "idp"))
                let now = Timestamp(Date())
                #expect(
                    !(try await harness.database.leaseUpstreamStream(
                        issuer: "idp",
                        generation: stream.generation,
                        owner: "another replica",
                        until: now + .seconds(60),
                        now: now
                    )),
                    "held while it runs"
                )
            }
            let stream = try #require(try await harness.database.upstreamStream(issuer: "idp"))
            let now = Timestamp(Date())
            #expect(
                try await harness.database.leaseUpstreamStream(
                    issuer: "idp",
                    generation: stream.generation,
                    owner: "another replica",
                    until: now + .seconds(60),
                    now: now
                ),
                "still held after the stop"
            )
        }
    }

    /// A transmitter that holds a long poll longer than we wait had nothing to say: no error,
    /// no back-off, the next poll at once.
    @Test func aLongPollOutlastingOurWaitIsAnEmptyAnswer() async throws {
        let slow = try await TestServer.start { _, request in
            request.path == "/poll"
                ? Behavior(
                    status: 200,
                    headers: [("Content-Type", "application/json")],
                    body: #"{"sets":{}}"#,
                    delay: 2
                )
                : Behavior(status: 404)
        }
        defer { Task { await slow.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            let c = harness.components
            let service = UpstreamStreamService(
                store: c.database,
                client: c.sharedSignals.upstreams.client,
                secrets: c.secrets,
                intake: c.intake,
                publicBaseURL: c.configuration.issuer,
                allowHTTP: true,
                owner: "test",
                waker: Waker(),
                timing: .init(poll: .milliseconds(500)),
                now: c.now,
                logger: c.logger
            )
            // A stream already created and verified, polled at the slow transmitter.
            _ = try await harness.admin.updateIssuer(
                named: "idp",
                IssuerChange(ssfConfigurationURL: .value(slow.url + "/c"), ssfToken: .value("tok-123"))
            )
            var stream = try #require(try await c.database.upstreamStream(issuer: "idp"))
            stream.state = .verified
            stream.streamID = "s-9"
            stream.pollURL = slow.url + "/poll"
            #expect(try await c.database.recordUpstreamStream(stream, owner: "test", now: c.now()))
            try await Harness.running([service], logger: c.logger) {
                try await SharedSignalsPushTests.waitUntil { slow.received.filter { $0.path == "/poll" }.count >= 3 }
            }
            let view = try await harness.admin.issuer(named: "idp").ssf
            #expect(view?.lastError == nil && view?.state == "verified", "\(String(describing: view))")
        }
    }

    static let refusedChanges: [(String, IssuerChange, String)] = [
        (
            "no token for a new stream", IssuerChange(ssfConfigurationURL: .value("https://hub.example/c")),
            "ssf_token is needed"
        ),
        ("no URL for a new stream", IssuerChange(ssfToken: .value("t")), "ssf_configuration_url is needed"),
        (
            "an unknown delivery",
            IssuerChange(
                ssfConfigurationURL: .value("https://hub.example/c"),
                ssfToken: .value("t"),
                ssfDelivery: .value("webhook")
            ),
            "push or poll"
        ),
        (
            "a URL that is not http(s)",
            IssuerChange(ssfConfigurationURL: .value("ftp://hub.example/c"), ssfToken: .value("t")), "http(s)"
        ),
        ("the token removed alone", IssuerChange(ssfToken: .null), "cannot be removed alone"),
        (
            "a removal with settings",
            IssuerChange(ssfConfigurationURL: .null, ssfDelivery: .value("push")), "give no ssf_token or ssf_delivery"
        ),
        (
            "a token with spaces",
            IssuerChange(ssfConfigurationURL: .value("https://hub.example/c"), ssfToken: .value("a b")),
            "a bearer token"
        ),
        (
            "a token with a character no header carries as it is",
            IssuerChange(ssfConfigurationURL: .value("https://hub.example/c"), ssfToken: .value("tok\u{A0}en")),
            "a bearer token"
        ),
        (
            "a token with = inside",
            IssuerChange(ssfConfigurationURL: .value("https://hub.example/c"), ssfToken: .value("a=b")),
            "a bearer token"
        ),
    ]

    @Test(arguments: refusedChanges)
    func badSettingsAreRefusedAndNothingIsStored(row: (String, IssuerChange, String)) async throws {
        let (_, change, expected) = row
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            await #expect {
                _ = try await harness.admin.updateIssuer(named: "idp", change)
            } throws: { error in
                "\(error)".contains(expected)
            }
            #expect(try await harness.database.upstreamStream(issuer: "idp") == nil)
        }
    }
}
