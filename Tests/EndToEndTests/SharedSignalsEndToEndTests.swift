import Foundation
import LogoutCore
import LogoutJWT
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// Shared Signals on the real binary, both roles (issue 21): a receiver discovers the metadata,
/// creates a push and a poll stream, passes verification, gets a back-channel logout as a signed
/// session-revoked SET (checked against our JWKS) through two `503`s, gets nothing while paused
/// and everything once enabled, and another receiver cannot see its stream; an upstream
/// transmitter's pushed session-revoked SET ends a session and reaches the RP as a logout token.
@Suite(.serialized) struct SharedSignalsEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "idp-e2e")
    static let sessionRevoked = "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
    static let verification = "https://schemas.openid.net/secevent/ssf/event-type/verification"

    @Test func bothRolesOnTheRealBinary() async throws {
        let shop = try await TestServer.start()
        let pushes = Mutex(0)
        let siemEndpoint = try await TestServer.start { _, _ in
            // The first two pushes meet a receiver that is down.
            let index = pushes.withLock { count in
                defer { count += 1 }
                return count
            }
            return index < 2 ? Behavior(status: 503, headers: [("Retry-After", "0")]) : Behavior(status: 202)
        }
        let daemon = try DaemonProcess(delivery: ["backoff_initial: \"100ms\"", "backoff_max: \"200ms\""])
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        #expect(
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl")]
            ).status == .created
        )
        for (sub, sid) in [("marie", "s-1"), ("paul", "s-2")] {
            let session: JSONValue = [
                "issuer": "https://idp.example", "sub": .string(sub), "sid": .string(sid), "client_id": "shop",
            ]
            #expect(try await daemon.admin(.POST, "/admin/v1/sessions", session).status == .created)
        }
        let siem = try await daemon.admin(.POST, "/admin/v1/ssf/receivers", ["name": "siem"])
        let vpn = try await daemon.admin(.POST, "/admin/v1/ssf/receivers", ["name": "vpn"])
        #expect(siem.status == .created && vpn.status == .created)
        let siemToken = try #require(siem.json["token"]?.stringValue)
        let vpnToken = try #require(vpn.json["token"]?.stringValue)

        // Discovery: everything else comes from the metadata.
        let metadata = try await daemon.get(daemon.publicURL + "/.well-known/ssf-configuration").json
        let streams = try #require(metadata["configuration_endpoint"]?.stringValue)
        let verify = try #require(metadata["verification_endpoint"]?.stringValue)
        let status = try #require(metadata["status_endpoint"]?.stringValue)
        let methods = metadata["delivery_methods_supported"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(methods.contains("urn:ietf:rfc:8935") && methods.contains("urn:ietf:rfc:8936"))
        func call(
            _ method: HTTPMethod,
            _ url: String,
            _ body: String?,
            token: String = siemToken
        ) async throws
            -> DaemonProcess.Answer
        {
            try await daemon.request(
                url,
                method: method,
                headers: [("Authorization", "Bearer " + token), ("Content-Type", "application/json")],
                body: body
            )
        }

        let push = try await call(
            .POST,
            streams,
            #"{"events_requested":["\#(Self.sessionRevoked)"],"delivery":{"method":"urn:ietf:rfc:8935","#
                + #""endpoint_url":"\#(siemEndpoint.url)/events","authorization_header":"Bearer siem-in"}}"#
        )
        #expect(push.status == .created, "\(push.body)")
        let pushID = try #require(push.json["stream_id"]?.stringValue)
        let poll = try await call(.POST, streams, #"{"events_requested":["\#(Self.sessionRevoked)"]}"#)
        #expect(poll.status == .created, "\(poll.body)")
        let pollID = try #require(poll.json["stream_id"]?.stringValue)
        let pollURL = try #require(poll.json["delivery"]?["endpoint_url"]?.stringValue)
        let readBack = try await call(.GET, streams + "?stream_id=" + pollID, nil)
        #expect(readBack.json["delivery"]?["method"] == "urn:ietf:rfc:8936", "without delivery a stream is polled")

        // Another receiver does not see the stream.
        #expect(try await call(.GET, streams + "?stream_id=" + pushID, nil, token: vpnToken).status == .notFound)
        #expect(try await call(.POST, pollURL, "{}", token: vpnToken).status == .notFound)

        // Verification, pushed through the two 503s.
        #expect(try await call(.POST, verify, #"{"stream_id":"\#(pushID)","state":"v-1"}"#).status == .noContent)
        #expect(await eventually(timeout: 15) { siemEndpoint.received.count >= 3 })
        let jwks = try JWKSet.parse(
            try await daemon.get(try #require(metadata["jwks_uri"]?.stringValue)).json
        )
        func verified(_ token: String) throws -> [String: JSONValue] {
            let jws = try CompactJWS.parse(token)
            #expect(jws.header["typ"] == "secevent+jwt" && jws.header["alg"] == "RS256")
            let header = CheckedHeader(algorithm: .rs256, keyID: jws.header["kid"]?.stringValue)
            #expect(JWSVerifier.verify(jws, header: header, keys: jwks) == .valid, "not signed by a key of our JWKS")
            return jws.payload
        }
        let verificationPush = try #require(siemEndpoint.received.last)
        #expect(verificationPush.contentType == "application/secevent+jwt")
        #expect(verificationPush.authorization == "Bearer siem-in")
        #expect(try verified(verificationPush.body)["events"]?[Self.verification]?["state"] == "v-1")
        #expect(Set(siemEndpoint.received.map(\.body)).count == 1, "a retry pushed another SET")

        // Paused: the back-channel logout's SET waits for the push stream; the poll stream has it.
        let pause = #"{"stream_id":"\#(pushID)","status":"paused"}"#
        #expect(try await call(.POST, status, pause).status == .ok)
        let logout = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "marie",
            sid: "s-1",
            key: Self.idpKey
        )
        #expect(try await daemon.postLogout(logout).status == .ok)
        #expect(await eventually(timeout: 15) { shop.received.count == 1 })
        var polled: [String: JSONValue] = [:]
        let pollDeadline = ContinuousClock.now + .seconds(15)
        while polled.isEmpty && ContinuousClock.now < pollDeadline {
            polled = try await call(.POST, pollURL, #"{"returnImmediately":true}"#).json["sets"]?.objectValue ?? [:]
            if polled.isEmpty { try await Task.sleep(for: .milliseconds(100)) }
        }
        let (pollJTI, pollSET) = try #require(polled.first.map { ($0.key, $0.value.stringValue ?? "") })
        let revoked = try verified(pollSET)
        #expect(revoked["sub_id"]?["format"] == "complex")
        #expect(revoked["sub_id"]?["user"]?["sub"] == "marie")
        #expect(revoked["sub_id"]?["session"]?["id"] == "s-1")
        #expect(revoked["events"]?[Self.sessionRevoked]?["initiating_entity"] == "user")
        let acked = try await call(.POST, pollURL, #"{"returnImmediately":true,"ack":["\#(pollJTI)"]}"#)
        #expect(acked.json["sets"] == .object([:]))
        try await Task.sleep(for: .seconds(1))
        #expect(siemEndpoint.received.count == 3, "a paused stream pushed")

        // Enabled: the held SET is pushed.
        let enable = #"{"stream_id":"\#(pushID)","status":"enabled"}"#
        #expect(try await call(.POST, status, enable).status == .ok)
        #expect(await eventually(timeout: 15) { siemEndpoint.received.count == 4 })
        let pushed = try verified(try #require(siemEndpoint.received.last).body)
        #expect(pushed["sub_id"]?["user"]?["sub"] == "marie")
        #expect(pushed["txn"] == revoked["txn"], "both streams tell of the same logout")

        // The receiver role: the IdP's transmitter pushes a session-revoked SET for paul.
        let iat = Int(Date().timeIntervalSince1970)
        let set = try TokenForge.sign(
            header: #"{"alg":"ES256","typ":"secevent+jwt","kid":"idp-e2e"}"#,
            payload: #"{"iss":"https://idp.example","aud":"\#(daemon.publicURL)","iat":\#(iat),"jti":"up-1","#
                + #""sub_id":{"format":"iss_sub","iss":"https://idp.example","sub":"paul"},"#
                + #""events":{"\#(Self.sessionRevoked)":{"event_timestamp":\#(iat)}}}"#,
            with: Self.idpKey
        )
        let received = try await daemon.request(
            daemon.publicURL + "/ssf/push/idp",
            method: .POST,
            headers: [("Content-Type", "application/secevent+jwt")],
            body: set
        )
        #expect(received.status == .accepted && received.body.isEmpty, "\(received.body)")
        #expect(await eventually(timeout: 15) { shop.received.count == 2 })
        let paul = try CompactJWS.parse(try #require(shop.received.last?.formValue("logout_token"))).payload
        #expect(paul["sub"] == "paul" && paul["aud"] == "shop")
        let replay = try await daemon.request(
            daemon.publicURL + "/ssf/push/idp",
            method: .POST,
            headers: [("Content-Type", "application/secevent+jwt")],
            body: set
        )
        #expect(replay.status == .accepted)
        let refused = try await daemon.request(
            daemon.publicURL + "/ssf/push/idp",
            method: .POST,
            headers: [("Content-Type", "application/secevent+jwt")],
            body: "not.a.set"
        )
        #expect(refused.status == .badRequest && refused.json["err"] == "invalid_request")

        await daemon.stop()
        await siemEndpoint.stop()
        await shop.stop()
    }
}
