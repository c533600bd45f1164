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

/// A poll stream end to end through the public router on a live socket, on each store (SSF-3,
/// SSF-4, SSF §8.1.2, §8.1.4): a logout becomes a session-revoked SET signed with a key of our
/// JWKS, held until acknowledged, held back while the stream is paused, and verification SETs
/// echo their state.
@Suite struct SharedSignalsPollTests {
    typealias Client = SharedSignalsStreamTests.Client

    @Test(arguments: StoreKind.allCases)
    func aLogoutReachesAPollStreamAsASignedSessionRevokedSET(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", sid: "s-1", rp: "shop")
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let owner = Client(client: client, token: siem.token)
                let (_, stream, _) = try await owner.call(
                    .post,
                    "/ssf/streams",
                    #"{"events_requested":["https://schemas.openid.net/secevent/caep/event-type/session-revoked"]}"#
                )
                let id = try #require(stream?["stream_id"]?.stringValue)
                let poll = "/ssf/poll/" + id
                #expect(try await owner.call(.post, poll, #"{"returnImmediately":true}"#).1?["sets"] == .object([:]))

                let event = try await harness.admin.logout(LogoutCommand(issuer: "idp", sub: "marie"))
                #expect(try await harness.components.sharedSignals.fanOut.pass() >= 1)

                let (status, answer, _) = try await owner.call(.post, poll, #"{"returnImmediately":true}"#)
                #expect(status == .ok)
                #expect(answer?["moreAvailable"] == false)
                let sets = try #require(answer?["sets"]?.objectValue)
                #expect(sets.count == 1)
                let (jti, token) = try #require(sets.first.map { ($0.key, $0.value.stringValue ?? "") })

                // Signed with a key our JWKS publishes, typed as a SET.
                let jws = try CompactJWS.parse(token)
                #expect(jws.header["typ"] == "secevent+jwt" && jws.header["alg"] == "RS256")
                let (_, jwks, _) = try await Client(client: client, token: nil).call(.get, "/.well-known/jwks.json")
                let keys = try JWKSet.parse(try #require(jwks))
                let header = CheckedHeader(algorithm: .rs256, keyID: jws.header["kid"]?.stringValue)
                #expect(JWSVerifier.verify(jws, header: header, keys: keys) == .valid)
                let claims = JSONValue.object(jws.payload)
                #expect(claims["jti"]?.stringValue == jti)
                #expect(claims["iss"]?.stringValue == harness.components.configuration.issuer)
                #expect(claims["aud"] == "siem")
                #expect(claims["txn"]?.stringValue == String(event.eventID))
                #expect(claims["sub_id"]?["format"] == "iss_sub" && claims["sub_id"]?["sub"] == "marie")
                #expect(claims["events"]?[SSFEventType.sessionRevoked.rawValue]?["initiating_entity"] == "admin")

                // Not acknowledged: returned again, the same SET. Acknowledged: gone.
                let again = try await owner.call(.post, poll, #"{"returnImmediately":true}"#).1
                #expect(again?["sets"]?[jti]?.stringValue == token)
                let acked = try await owner.call(.post, poll, #"{"returnImmediately":true,"ack":["\#(jti)"]}"#).1
                #expect(acked?["sets"] == .object([:]))
                #expect(try await harness.database.securityEvents(streamID: id, limit: 5).map(\.status) == [.delivered])

                // Paused: held; enabled: there.
                #expect(
                    try await owner.call(.post, "/ssf/status", #"{"stream_id":"\#(id)","status":"paused"}"#).0 == .ok
                )
                #expect(
                    try await owner.call(.post, "/ssf/verify", #"{"stream_id":"\#(id)","state":"abc"}"#).0 == .noContent
                )
                #expect(try await owner.call(.post, poll, #"{"returnImmediately":true}"#).1?["sets"] == .object([:]))
                #expect(
                    try await owner.call(.post, "/ssf/verify", #"{"stream_id":"\#(id)"}"#).0 == .tooManyRequests,
                    "verification within min_verification_interval"
                )
                #expect(
                    try await owner.call(.post, "/ssf/status", #"{"stream_id":"\#(id)","status":"enabled"}"#).0 == .ok
                )
                let verification = try await owner.call(.post, poll, #"{"returnImmediately":true}"#).1
                let verificationToken = try #require(verification?["sets"]?.objectValue?.first?.value.stringValue)
                let verificationClaims = try CompactJWS.parse(verificationToken).payload
                #expect(verificationClaims["sub_id"] == .object(["format": "opaque", "id": .string(id)]))
                #expect(verificationClaims["events"]?[SSFEventType.verification.rawValue]?["state"] == "abc")
            }
        }
    }

    /// A long poll waits for a SET and answers as soon as one is made; another receiver cannot
    /// poll the stream.
    @Test func aLongPollAnswersWhenTheSETIsMade() async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", rp: "shop")
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let vpn = try await harness.admin.createReceiver(ReceiverRegistration(name: "vpn"))
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let owner = Client(client: client, token: siem.token)
                let sessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
                let (_, created, _) = try await owner.call(
                    .post,
                    "/ssf/streams",
                    #"{"events_requested":["\#(sessionRevoked)"]}"#
                )
                let id = try #require(created?["stream_id"]?.stringValue)
                #expect(
                    try await Client(client: client, token: vpn.token).call(.post, "/ssf/poll/" + id, "{}").0
                        == .notFound
                )
                async let waited = owner.call(.post, "/ssf/poll/" + id, "{}")
                try await Task.sleep(for: .milliseconds(500))
                _ = try await harness.admin.logout(LogoutCommand(issuer: "idp", sub: "marie"))
                _ = try await harness.components.sharedSignals.fanOut.pass()
                let started = ContinuousClock.now
                let (status, answer, _) = try await waited
                #expect(status == .ok)
                #expect(answer?["sets"]?.objectValue?.count == 1)
                #expect(ContinuousClock.now - started < .seconds(5), "the long poll waited out its time")
            }
        }
    }
}
