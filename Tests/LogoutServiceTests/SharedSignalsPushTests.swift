import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutAdminAPI
import LogoutCore
import LogoutHTTP
import LogoutJWT
import NIOCore
import TestSupport
import Testing

@testable import LogoutService

/// A push stream end to end, on each store (SSF-4, RFC 8935): a logout's SET is pushed by the
/// queue engine to the receiver's endpoint on a live socket, as `application/secevent+jwt` with
/// the stream's credential, signed with a key of our JWKS; `503`s are retried, a paused stream
/// holds its SETs and pushes them once enabled; a `400` fails the SET with the receiver's error.
@Suite struct SharedSignalsPushTests {
    typealias Client = SharedSignalsStreamTests.Client
    static let sessionRevoked = SSFEventType.sessionRevoked.rawValue

    @Test(arguments: StoreKind.allCases)
    func aLogoutIsPushedRetriedThrough503sAndHeldWhilePaused(kind: StoreKind) async throws {
        // Two 503s, then 202s.
        let receiver = try await TestServer.start { index, _ in
            index < 2 ? Behavior(status: 503, headers: [("Retry-After", "0")]) : Behavior(status: 202)
        }
        defer { Task { await receiver.stop() } }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", sid: "s-1", rp: "shop")
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            let ssf = harness.components.sharedSignals
            try await Harness.running([ssf.fanOut, ssf.pushes], logger: harness.components.logger) {
                try await app.test(.live) { client in
                    let owner = Client(client: client, token: siem.token)
                    let (_, metadata, _) = try await owner.call(.get, "/.well-known/ssf-configuration")
                    #expect(
                        metadata?["delivery_methods_supported"]?.arrayValue?.contains(
                            .string(SSFDeliveryMethod.push.rawValue)
                        ) == true
                    )
                    let (created, stream, _) = try await owner.call(
                        .post,
                        "/ssf/streams",
                        #"{"events_requested":["\#(Self.sessionRevoked)"],"delivery":{"method":"urn:ietf:rfc:8935","#
                            + #""endpoint_url":"\#(receiver.url)/ssf-in","authorization_header":"Bearer rx-secret"}}"#
                    )
                    #expect(created == .created)
                    let id = try #require(stream?["stream_id"]?.stringValue)
                    #expect(stream?["delivery"]?["authorization_header"] == nil, "the credential is never shown")

                    let event = try await harness.admin.logout(LogoutCommand(issuer: "idp", sub: "marie"))
                    try await Self.waitUntil { receiver.received.count >= 3 }
                    try await Self.waitUntil {
                        try await harness.database.securityEvents(streamID: id, limit: 5).first?.status == .delivered
                    }
                    let pushes = receiver.received
                    #expect(pushes.count == 3, "two 503s retried, then delivered once")
                    #expect(Set(pushes.map(\.body)).count == 1, "every attempt pushes the same SET")
                    let push = try #require(pushes.last)
                    #expect(push.path == "/ssf-in" && push.method == "POST")
                    #expect(push.contentType == "application/secevent+jwt")
                    #expect(push.authorization == "Bearer rx-secret")
                    let stored = try #require(try await harness.database.securityEvents(streamID: id, limit: 5).first)
                    #expect(stored.eventID == event.eventID)
                    // The admin's view: the stream, and the SET with its three attempts.
                    let listed = try await harness.admin.streams(receiver: "siem").streams
                    #expect(listed.map(\.streamID) == [id] && listed.first?.deliveryMethod == "urn:ietf:rfc:8935")
                    #expect(listed.first?.endpointURL == receiver.url + "/ssf-in")
                    let sets = try await harness.admin.securityEvents(streamID: id, limit: 10).sets
                    #expect(sets.map(\.status) == ["delivered"] && sets.first?.attempts == 3)
                    #expect(sets.first?.lastStatusCode == 202 && sets.first?.finishedAt != nil)

                    // The SET verifies against our JWKS and names the session.
                    let jws = try CompactJWS.parse(push.body)
                    #expect(jws.header["typ"] == "secevent+jwt" && jws.header["alg"] == "RS256")
                    let (_, jwks, _) = try await Client(client: client, token: nil).call(.get, "/.well-known/jwks.json")
                    let header = CheckedHeader(algorithm: .rs256, keyID: jws.header["kid"]?.stringValue)
                    #expect(
                        JWSVerifier.verify(jws, header: header, keys: try JWKSet.parse(try #require(jwks))) == .valid
                    )
                    let claims = JSONValue.object(jws.payload)
                    #expect(claims["jti"]?.stringValue == stored.jti)
                    #expect(claims["sub_id"]?["format"] == "iss_sub" && claims["sub_id"]?["sub"] == "marie")
                    #expect(claims["events"]?[Self.sessionRevoked] != nil)

                    // Paused: a verification SET is held, nothing is pushed; enabled: pushed.
                    let status = #"{"stream_id":"\#(id)","status":"paused"}"#
                    #expect(try await owner.call(.post, "/ssf/status", status).0 == .ok)
                    #expect(
                        try await owner.call(.post, "/ssf/verify", #"{"stream_id":"\#(id)","state":"p"}"#).0
                            == .noContent
                    )
                    try await Task.sleep(for: .milliseconds(700))
                    #expect(receiver.received.count == 3, "a paused stream pushed")
                    #expect(try await harness.database.securityEvents(streamID: id, limit: 1).first?.status == .held)
                    let enable = #"{"stream_id":"\#(id)","status":"enabled"}"#
                    #expect(try await owner.call(.post, "/ssf/status", enable).0 == .ok)
                    try await Self.waitUntil { receiver.received.count >= 4 }
                    let verification = try CompactJWS.parse(try #require(receiver.received.last).body).payload
                    #expect(verification["events"]?[SSFEventType.verification.rawValue]?["state"] == "p")
                }
            }
        }
    }

    /// RFC 8935 §2.3: a receiver's `400` with its error object fails the SET for good, with the
    /// error kept; a redirect is never followed and fails it too.
    @Test func aRefusedSETFailsWithTheReceiversErrorAndARedirectIsNotFollowed() async throws {
        let refusing = try await TestServer.start { _, _ in
            .json(#"{"err":"invalid_audience","description":"not for us"}"#, status: 400)
        }
        let redirecting = try await TestServer.start { _, _ in
            Behavior(status: 307, headers: [("Location", "http://127.0.0.1:9/elsewhere")])
        }
        defer {
            Task {
                await refusing.stop()
                await redirecting.stop()
            }
        }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", rp: "shop")
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            let ssf = harness.components.sharedSignals
            try await Harness.running([ssf.fanOut, ssf.pushes], logger: harness.components.logger) {
                try await app.test(.live) { client in
                    let owner = Client(client: client, token: siem.token)
                    var ids: [String] = []
                    for server in [refusing, redirecting] {
                        let body =
                            #"{"events_requested":["\#(Self.sessionRevoked)"],"delivery":"#
                            + #"{"method":"urn:ietf:rfc:8935","endpoint_url":"\#(server.url)/in"}}"#
                        ids.append(
                            try #require(try await owner.call(.post, "/ssf/streams", body).1?["stream_id"]?.stringValue)
                        )
                    }
                    _ = try await harness.admin.logout(LogoutCommand(issuer: "idp", sub: "marie"))
                    for id in ids {
                        try await Self.waitUntil {
                            try await harness.database.securityEvents(streamID: id, limit: 1).first?.status == .failed
                        }
                    }
                    let refused = try await harness.database.securityEvents(streamID: ids[0], limit: 1).first
                    #expect(
                        refused?.error?.contains("invalid_audience: not for us") == true,
                        "\(String(describing: refused))"
                    )
                    #expect(refusing.received.count == 1, "a 400 was retried")
                    #expect(redirecting.received.count == 1, "a redirect was retried or followed")
                }
            }
        }
    }

    /// Q-4 for pushes: a receiver that keeps failing gets its stream's breaker's threshold of
    /// pushes, then nothing until the probe pause, however short the retry back-off.
    @Test func aFailingReceiverOpensItsStreamsBreaker() async throws {
        let down = try await TestServer.start { _, _ in Behavior(status: 503, headers: [("Retry-After", "0")]) }
        defer { Task { await down.stop() } }
        try await Harness.with(configure: {
            $0.breakerThreshold = 2
            $0.breakerPause = .seconds(60)
        }) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", rp: "shop")
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            let ssf = harness.components.sharedSignals
            try await Harness.running([ssf.fanOut, ssf.pushes], logger: harness.components.logger) {
                try await app.test(.live) { client in
                    let body =
                        #"{"events_requested":["\#(Self.sessionRevoked)"],"delivery":"#
                        + #"{"method":"urn:ietf:rfc:8935","endpoint_url":"\#(down.url)/in"}}"#
                    let created = try await Client(client: client, token: siem.token).call(.post, "/ssf/streams", body)
                    let id = try #require(created.1?["stream_id"]?.stringValue)
                    _ = try await harness.admin.logout(LogoutCommand(issuer: "idp", sub: "marie"))
                    try await Self.waitUntil { down.received.count >= 2 }
                    // The back-off is 50–200 ms: without the breaker, a dozen more by now.
                    try await Task.sleep(for: .seconds(2))
                    #expect(down.received.count == 2, "\(down.received.count) pushes")
                    let set = try await harness.database.securityEvents(streamID: id, limit: 1).first
                    #expect(set?.status == .pending && set?.attempts == 2, "held, not failed")
                }
            }
        }
    }

    static func waitUntil(
        within limit: Duration = .seconds(15),
        _ condition: () async throws -> Bool
    ) async throws {
        let deadline = ContinuousClock.now.advanced(by: limit)
        while try await !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("the condition did not hold within \(limit)")
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }
}
