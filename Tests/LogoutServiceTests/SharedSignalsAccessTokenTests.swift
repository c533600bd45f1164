import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutAdminAPI
import LogoutCore
import NIOCore
import TestSupport
import Testing

@testable import LogoutService

/// OAuth access tokens on the stream endpoints, on a live socket (contract C7, RFC 9068, RFC 6750
/// §3.1): the at+jwt of the issuer the admin named for a receiver, for the receiver's name as
/// client_id, manages its streams with `ssf.manage`, reads them with `ssf.read`; any other is
/// refused.
@Suite struct SharedSignalsAccessTokenTests {
    typealias Client = SharedSignalsStreamTests.Client

    static func accessToken(
        audience: String,
        clientID: String = "siem",
        scope: String = "ssf.manage",
        typ: String = "at+jwt",
        expiresIn: Int = 300,
        key: TokenForge.Key = DeliveryTests.idpKey
    ) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try TokenForge.sign(
            header: #"{"alg":"ES256","typ":"\#(typ)","kid":"idp-1"}"#,
            payload: #"{"iss":"https://idp.example","aud":"\#(audience)","exp":\#(now + expiresIn),"iat":\#(now),"#
                + #""client_id":"\#(clientID)","sub":"\#(clientID)","jti":"\#(UUID().uuidString)","scope":"\#(scope)"}"#,
            with: key
        )
    }

    /// The app registered with a shared secret mints a well-formed token for siem.
    static func appToken(audience: String) throws -> String {
        let now = Int(Date().timeIntervalSince1970)
        return try TokenForge.sign(
            header: #"{"alg":"HS256","typ":"at+jwt"}"#,
            payload: #"{"iss":"https://app.example","aud":"\#(audience)","exp":\#(now + 300),"iat":\#(now),"#
                + #""client_id":"siem","sub":"siem","jti":"app-1","scope":"ssf.manage"}"#,
            with: .hs256(Harness.appSecret)
        )
    }

    @Test func accessTokensOfARegisteredIssuerActForTheReceiverTheyName() async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            _ = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem", oauthIssuer: "idp"))
            // A receiver without an OAuth issuer takes no access token, whoever signed it.
            _ = try await harness.admin.createReceiver(ReceiverRegistration(name: "vpn"))
            await #expect(throws: AdminError.self) {
                try await harness.admin.createReceiver(ReceiverRegistration(name: "x", oauthIssuer: "nobody"))
            }
            await #expect(throws: AdminError.self, "an app's shared secret is no authorization server's key") {
                try await harness.admin.createReceiver(ReceiverRegistration(name: "y", oauthIssuer: "app"))
            }
            #expect(try await harness.admin.receiver(named: "siem").oauthIssuer == "idp")
            let ours = harness.components.configuration.issuer
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let manage = Client(client: client, token: try Self.accessToken(audience: ours))
                let (created, stream, _) = try await manage.call(.post, "/ssf/streams", "{}")
                #expect(created == .created)
                let id = try #require(stream?["stream_id"]?.stringValue)
                #expect(stream?["aud"] == "siem", "the stream is the receiver's the client_id names")
                #expect(try await harness.database.streams(receiver: "siem").map(\.id) == [id])

                let read = Client(client: client, token: try Self.accessToken(audience: ours, scope: "ssf.read"))
                #expect(try await read.call(.get, "/ssf/streams?stream_id=" + id).0 == .ok)
                let (forbidden, refusal, headers) = try await read.call(.delete, "/ssf/streams?stream_id=" + id)
                #expect(forbidden == .forbidden && refusal?["error"] == "insufficient_scope")
                // RFC 6750 §3.1: the challenge names the error and the scope that is needed.
                #expect(
                    headers[.wwwAuthenticate]
                        == #"Bearer realm="logoutd-ssf", error="insufficient_scope", scope="ssf.manage""#
                )

                for (why, token) in [
                    ("another audience", try Self.accessToken(audience: "https://api.example")),
                    ("a client that is no receiver", try Self.accessToken(audience: ours, clientID: "crm")),
                    ("a receiver that named no OAuth issuer", try Self.accessToken(audience: ours, clientID: "vpn")),
                    ("another registered issuer's token for the receiver", try Self.appToken(audience: ours)),
                    ("not typed at+jwt", try Self.accessToken(audience: ours, typ: "JWT")),
                    ("expired", try Self.accessToken(audience: ours, expiresIn: -3600)),
                    (
                        "signed by another key",
                        try Self.accessToken(audience: ours, key: TokenForge.newES256(kid: "idp-1"))
                    ),
                ] {
                    let (status, _, headers) = try await Client(client: client, token: token).call(.get, "/ssf/streams")
                    #expect(status == .unauthorized, "\(why)")
                    #expect(headers[.wwwAuthenticate]?.contains("invalid_token") == true, "\(why)")
                }
                #expect(try await manage.call(.delete, "/ssf/streams?stream_id=" + id).0 == .noContent)
            }
        }
    }

    /// A receiver whose client at the authorization server has another id than its name: the
    /// tokens naming that id act for it, and its name alone no longer does.
    @Test func aReceiverMayHaveAnotherOAuthClientIDThanItsName() async throws {
        try await Harness.with { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            let registration = ReceiverRegistration(name: "siem", oauthIssuer: "idp", oauthClientID: "0oa1siem")
            _ = try await harness.admin.createReceiver(registration)
            #expect(try await harness.admin.receiver(named: "siem").oauthClientID == "0oa1siem")
            await #expect(throws: AdminError.self, "a client id without an issuer") {
                try await harness.admin.createReceiver(ReceiverRegistration(name: "vpn", oauthClientID: "x"))
            }
            await #expect(throws: AdminError.self, "a client id another receiver answers to") {
                try await harness.admin.createReceiver(
                    ReceiverRegistration(name: "vpn", oauthIssuer: "idp", oauthClientID: "0oa1siem")
                )
            }
            let ours = harness.components.configuration.issuer
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                let token = try Self.accessToken(audience: ours, clientID: "0oa1siem")
                let (created, stream, _) = try await Client(client: client, token: token).call(
                    .post,
                    "/ssf/streams",
                    "{}"
                )
                #expect(created == .created && stream?["aud"] == "siem")
                let byName = try Self.accessToken(audience: ours, clientID: "siem")
                #expect(try await Client(client: client, token: byName).call(.get, "/ssf/streams").0 == .unauthorized)
            }
        }
    }

    /// SEC-4 on the stream endpoints: refused tokens are charged to the client, and past its
    /// budget every token from it is `429` before anything is looked up or verified.
    @Test func refusedTokensAreChargedAndAFloodIsStopped() async throws {
        try await Harness.with(configure: { $0.rejectionsPerClient = 3 }) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            let siem = try await harness.admin.createReceiver(ReceiverRegistration(name: "siem"))
            let app = Application(router: harness.components.publicRouter())
            try await app.test(.live) { client in
                var statuses: [HTTPResponse.Status] = []
                for index in 0..<5 {
                    let guess = Client(client: client, token: "guess-\(index)-" + String(repeating: "x", count: 40))
                    statuses.append(try await guess.call(.get, "/ssf/streams").0)
                }
                #expect(statuses.prefix(3).allSatisfy { $0 == .unauthorized }, "\(statuses)")
                #expect(statuses.last == .tooManyRequests, "\(statuses)")
                let (status, _, headers) = try await Client(client: client, token: siem.token).call(
                    .get,
                    "/ssf/streams"
                )
                #expect(
                    status == .tooManyRequests && headers[.retryAfter] != nil,
                    "the flood goes on from this address"
                )
            }
        }
    }
}
