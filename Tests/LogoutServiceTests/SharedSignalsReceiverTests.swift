import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutCore
import LogoutHTTP
import NIOCore
import TestSupport
import Testing

@testable import LogoutService

/// SETs pushed to `/ssf/push/{issuer}` on a live socket (SSF-5, RFC 8935): a session-revoked SET
/// of a registered issuer ends the session and reaches the RP as a back-channel logout token; a
/// replay changes nothing; every refusal is a `400` with RFC 8935's `err`; valid events we do not
/// act on are acknowledged.
@Suite struct SharedSignalsReceiverTests {
    static let sessionRevoked = SSFEventType.sessionRevoked.rawValue

    struct Pusher {
        let client: any TestClientProtocol

        func push(_ token: String, to issuer: String = "idp") async throws -> (HTTPResponse.Status, JSONValue?) {
            try await client.execute(
                uri: "/ssf/push/" + issuer,
                method: .post,
                headers: [.contentType: "application/secevent+jwt"],
                body: ByteBuffer(string: token + "\n")
            ) { response in
                let bytes = Array(response.body.readableBytesView)
                return (response.status, bytes.isEmpty ? nil : try? StrictJSONParser.parse(bytes))
            }
        }
    }

    static func set(
        jti: String = UUID().uuidString,
        aud: String,
        subject: String = #"{"format":"iss_sub","iss":"https://idp.example","sub":"marie"}"#,
        event: String = sessionRevoked,
        payload: String = #"{"initiating_entity":"user","reason_admin":{"en":"signed out"}}"#,
        typ: String = "secevent+jwt",
        key: TokenForge.Key = DeliveryTests.idpKey,
        kid: String = "idp-1",
        alg: String = "ES256",
        age: Int = 0
    ) throws -> String {
        let iat = Int(Date().timeIntervalSince1970) - age
        return try TokenForge.sign(
            header: #"{"alg":"\#(alg)","typ":"\#(typ)","kid":"\#(kid)"}"#,
            payload: #"{"iss":"https://idp.example","aud":"\#(aud)","iat":\#(iat),"jti":"\#(jti)","#
                + #""sub_id":\#(subject),"events":{"\#(event)":\#(payload)}}"#,
            with: key
        )
    }

    @Test func aSessionRevokedSETEndsTheSessionAndReachesTheRP() async throws {
        let rp = try await TestServer.start()
        defer { Task { await rp.stop() } }
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: rp.url + "/logout")
            try await harness.addSession(sub: "marie", sid: "s-1", rp: "shop")
            try await harness.addSession(sub: "paul", sid: "s-2", rp: "shop")
            let ours = harness.components.configuration.issuer
            let app = Application(router: harness.components.publicRouter())
            try await Harness.running([harness.components.dispatcher], logger: harness.components.logger) {
                try await app.test(.live) { client in
                    let pusher = Pusher(client: client)
                    let token = try Self.set(jti: "set-1", aud: ours)
                    let (status, body) = try await pusher.push(token)
                    #expect(status == .accepted && body == nil)
                    try await SharedSignalsPushTests.waitUntil { rp.received.count == 1 }
                    let delivered = try #require(rp.received.first?.formValue("logout_token"))
                    let claims = try CompactJWS.parse(delivered).payload
                    #expect(claims["sub"] == "marie", "the SET's user is logged out at the RP")
                    let sessions = try await harness.database.sessions(SessionQuery(issuer: "idp"))
                    #expect(sessions.map(\.sub) == ["paul"], "marie's session ended, paul's kept")

                    // The same SET again, or its jti in another SET: 202, nothing changes.
                    #expect(try await pusher.push(token).0 == .accepted)
                    #expect(try await pusher.push(try Self.set(jti: "set-1", aud: ours)).0 == .accepted)
                    try await Task.sleep(for: .milliseconds(300))
                    #expect(rp.received.count == 1, "a replayed SET delivered again")
                    #expect(try await harness.deliveries().count == 1)

                    // The audience set on the issuer (its logout tokens' aud) is ours too.
                    let paul = #"{"format":"iss_sub","iss":"https://idp.example","sub":"paul"}"#
                    #expect(try await pusher.push(try Self.set(aud: Harness.audience, subject: paul)).0 == .accepted)
                    try await SharedSignalsPushTests.waitUntil { rp.received.count == 2 }
                }
            }
        }
    }

    /// A SET that arrives long after its event (a transmitter retrying, a paused stream) ends
    /// the sessions that existed then, not those the person opened since.
    @Test func aLateSETLeavesTheSessionsOpenedSinceItsEvent() async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", sid: "s-new", rp: "shop")
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let hourAgo = Int(Date().timeIntervalSince1970) - 3600
                let token = try Self.set(
                    aud: harness.components.configuration.issuer,
                    payload: #"{"event_timestamp":\#(hourAgo)}"#,
                    age: 1800
                )
                #expect(try await Pusher(client: client).push(token).0 == .accepted)
                let sessions = try await harness.database.sessions(SessionQuery(issuer: "idp"))
                #expect(sessions.map(\.sid) == ["s-new"], "a session opened after the event was ended")
            }
        }
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var rule: String
        var issuer: String = "idp"
        var token: @Sendable (_ ours: String) throws -> String
        var err: String
        var testDescription: String { rule }
    }

    static let refusals: [Refusal] = [
        Refusal(rule: "not a JWS", token: { _ in "not-a-set" }, err: "invalid_request"),
        Refusal(
            rule: "no registered issuer of that name",
            issuer: "nobody",
            token: { try set(aud: $0) },
            err: "invalid_issuer"
        ),
        Refusal(rule: "typ is not secevent+jwt", token: { try set(aud: $0, typ: "JWT") }, err: "invalid_request"),
        Refusal(
            rule: "aud is neither ours nor the issuer's",
            token: { _ in try set(aud: "https://elsewhere") },
            err: "invalid_audience"
        ),
        Refusal(
            rule: "signed with another key under the issuer's kid",
            token: { try set(aud: $0, key: TokenForge.newES256(kid: "idp-1")) },
            err: "authentication_failed"
        ),
        Refusal(
            rule: "a kid the issuer does not have",
            token: { try set(aud: $0, key: TokenForge.newES256(kid: "other"), kid: "other") },
            err: "invalid_key"
        ),
        Refusal(
            rule: "another issuer's key and algorithm at this issuer's URL",
            token: { try set(aud: $0, key: .hs256(Harness.appSecret), alg: "HS256") },
            err: "invalid_key"
        ),
        Refusal(rule: "older than 7 days", token: { try set(aud: $0, age: 8 * 86_400) }, err: "invalid_request"),
        Refusal(rule: "iat in the future", token: { try set(aud: $0, age: -3600) }, err: "invalid_request"),
        Refusal(
            rule: "more than one event",
            token: { try set(aud: $0, payload: #"{}, "https://example.com/other":{}"#) },
            err: "invalid_request"
        ),
    ]

    @Test(arguments: refusals)
    func refusalsAre400WithRFC8935sCodes(refusal: Refusal) async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let (status, body) = try await Pusher(client: client).push(
                    try refusal.token(harness.components.configuration.issuer),
                    to: refusal.issuer
                )
                #expect(status == .badRequest)
                #expect(body?["err"]?.stringValue == refusal.err, "\(String(describing: body))")
                #expect(body?["description"]?.stringValue?.isEmpty == false)
            }
        }
    }

    /// Valid SETs that are not ours to act on are acknowledged, so a transmitter sending more
    /// does not break, and change nothing.
    @Test func eventsNotActedOnAreAcknowledgedAndChangeNothing() async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("shop", uri: "http://127.0.0.1:9/logout")
            try await harness.addSession(sub: "marie", sid: "s-1", rp: "shop")
            let ours = harness.components.configuration.issuer
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let pusher = Pusher(client: client)
                let otherIssuersUser = #"{"format":"iss_sub","iss":"https://app.example","sub":"marie"}"#
                let email = #"{"format":"email","email":"marie@example.com"}"#
                let stream = #"{"format":"opaque","id":"upstream-stream"}"#
                for token in [
                    try Self.set(aud: ours, subject: otherIssuersUser),
                    try Self.set(aud: ours, subject: email),
                    try Self.set(
                        aud: ours,
                        event: "https://schemas.openid.net/secevent/caep/event-type/credential-change",
                        payload: #"{"credential_type":"password","change_type":"update"}"#
                    ),
                    try Self.set(
                        aud: ours,
                        subject: stream,
                        event: SSFEventType.verification.rawValue,
                        payload: #"{"state":"abc"}"#
                    ),
                ] {
                    #expect(try await pusher.push(token).0 == .accepted)
                }
                #expect(try await harness.deliveries().isEmpty)
                #expect(try await harness.database.sessions(SessionQuery(issuer: "idp")).count == 1)
            }
        }
    }
}
