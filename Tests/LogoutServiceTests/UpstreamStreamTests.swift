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

    /// A transmitter serving metadata for `issuer`, one poll stream, and `sets` on the first poll.
    static func transmitter(
        issuer: String,
        sets: @escaping @Sendable () throws -> [String: String]
    ) async throws
        -> TestServer
    {
        let polls = Mutex(0)
        let base = Mutex("")
        let server = try await TestServer.start { _, request in
            let url = base.withLock { $0 }
            switch (request.method, request.path) {
            case ("GET", "/.well-known/ssf-configuration"):
                return .json(
                    #"{"issuer":"\#(issuer)","configuration_endpoint":"\#(url)/streams","#
                        + #""verification_endpoint":"\#(url)/verify","delivery_methods_supported":["urn:ietf:rfc:8936"]}"#
                )
            case ("POST", "/streams"):
                return .json(
                    #"{"stream_id":"s-9","events_delivered":["\#(revoked)"],"#
                        + #""delivery":{"method":"urn:ietf:rfc:8936","endpoint_url":"\#(url)/poll"}}"#,
                    status: 201
                )
            case ("POST", "/verify"):
                return Behavior(status: 204)
            case ("POST", "/poll"):
                let first = polls.withLock { count in
                    defer { count += 1 }
                    return count == 0
                }
                let body = first ? (try? sets()) ?? [:] : [:]
                let members = body.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
                return .json(#"{"sets":{\#(members)}}"#)
            default:
                return Behavior(status: 404)
            }
        }
        base.withLock { $0 = server.url }
        return server
    }

    @Test func aPollStreamIsCreatedVerifiedAndItsSETsAppliedThenAcknowledged() async throws {
        let rp = try await TestServer.start()
        defer { Task { await rp.stop() } }
        let good = try SharedSignalsReceiverTests.set(jti: "good", aud: Harness.audience)
        let transmitter = try await Self.transmitter(issuer: Harness.idpIssuer) { ["good": good, "bad": "not.a.set"] }
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
        let transmitter = try await Self.transmitter(issuer: "https://evil.example") { [:] }
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
            "without spaces"
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
