import LogoutCore
import Testing

/// SSF-3: the SETs we transmit (RFC 8417, SSF §4, CAEP §3.1, CAEP interoperability profile).
@Suite struct SecurityEventClaimsTests {
    static func seconds(_ value: Int64) -> Timestamp { Timestamp(millisecondsSince1970: value * 1000) }

    /// CAEP §3.1's second example, without the members we do not send (tenant, reason_user).
    @Test func sessionRevokedWithASessionMatchesTheCAEPExample() {
        let claims = SecurityEventClaims.sessionRevoked(
            issuer: "https://idp.example.com/123456789/",
            audience: ["https://sp.example.com/caep"],
            subject: .issSub(iss: "https://idp.example.com/123456789/", sub: "99beb27c-c1c2-4955-882a-e0dc4996fcbc"),
            sessionID: "dMTlD|1600802906337.16|16008.16",
            eventTime: Self.seconds(1_615_304_991),
            reasonAdmin: "Landspeed Policy Violation: C076E82F",
            initiatingEntity: .policy,
            issuedAt: Timestamp(millisecondsSince1970: 1_615_305_159_999),
            jti: "24c63fb56e5a2d77a6b512616ca9fa24",
            txn: "8675309"
        )
        let expected = ssfJSON(
            """
            {"iss":"https://idp.example.com/123456789/","jti":"24c63fb56e5a2d77a6b512616ca9fa24","iat":1615305159,
             "aud":"https://sp.example.com/caep","txn":"8675309",
             "sub_id":{"format":"complex","session":{"format":"opaque","id":"dMTlD|1600802906337.16|16008.16"},
               "user":{"format":"iss_sub","iss":"https://idp.example.com/123456789/","sub":"99beb27c-c1c2-4955-882a-e0dc4996fcbc"}},
             "events":{"https://schemas.openid.net/secevent/caep/event-type/session-revoked":{
               "initiating_entity":"policy","reason_admin":{"en":"Landspeed Policy Violation: C076E82F"},
               "event_timestamp":1615304991}}}
            """
        )
        #expect(claims == expected)
    }

    static func revoked(sessionID: String?, reason: String = "logout", audience: [String] = ["rx"]) -> JSONValue {
        SecurityEventClaims.sessionRevoked(
            issuer: "https://logout.example",
            audience: audience,
            subject: .issSub(iss: "https://idp", sub: "alice"),
            sessionID: sessionID,
            eventTime: seconds(100),
            reasonAdmin: reason,
            initiatingEntity: .user,
            issuedAt: seconds(101),
            jti: "j1",
            txn: "event-7"
        )
    }

    @Test(
        arguments: [
            ("RFC 8417 §2.2 iss", revoked(sessionID: nil)["iss"], JSONValue.string("https://logout.example")),
            ("RFC 8417 §2.2 one aud is a string", revoked(sessionID: nil)["aud"], "rx"),
            (
                "RFC 8417 §2.2 several aud are an array", revoked(sessionID: nil, audience: ["a", "b"])["aud"],
                ["a", "b"]
            ),
            ("RFC 8417 §2.2 iat in whole seconds", revoked(sessionID: nil)["iat"], 101),
            ("RFC 8417 §2.2 jti", revoked(sessionID: nil)["jti"], "j1"),
            ("SSF §4.1.9 txn is our event id", revoked(sessionID: nil)["txn"], "event-7"),
            (
                "SSF §3.1 without a session the subject is the person's iss_sub", revoked(sessionID: nil)["sub_id"],
                ["format": "iss_sub", "iss": "https://idp", "sub": "alice"]
            ),
            (
                "CAEP §3.1 with a session a complex subject", revoked(sessionID: "s9")["sub_id"],
                [
                    "format": "complex", "user": ["format": "iss_sub", "iss": "https://idp", "sub": "alice"],
                    "session": ["format": "opaque", "id": "s9"],
                ]
            ),
            ("SSF §4.1.2 no sub claim", revoked(sessionID: nil)["sub"], .none),
            ("SSF §4.1.7 no exp claim", revoked(sessionID: nil)["exp"], .none),
            (
                "interop §3.1 reason_admin is never empty",
                revoked(sessionID: nil, reason: "  ")["events"]?[SSFEventType.sessionRevoked.rawValue]?["reason_admin"],
                ["en": "Session revoked"]
            ),
            (
                "CAEP §2 event_timestamp and initiating_entity",
                revoked(sessionID: nil)["events"],
                [
                    SSFEventType.sessionRevoked.rawValue: [
                        "event_timestamp": 100, "initiating_entity": "user", "reason_admin": ["en": "logout"],
                    ]
                ]
            ),
        ] as [(String, JSONValue?, JSONValue?)]
    )
    func sessionRevokedClaim(rule: String, value: JSONValue?, expected: JSONValue?) {
        #expect(value == expected, "\(rule)")
    }

    /// SSF §8.1.4.2's verification SET example.
    @Test func verificationMatchesTheSSFExample() {
        let claims = SecurityEventClaims.verification(
            issuer: "https://transmitter.example.com",
            audience: ["receiver.example.com"],
            streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
            state: "VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo=",
            issuedAt: Self.seconds(1_493_856_000),
            jti: "123456"
        )
        let expected = ssfJSON(
            """
            {"jti":"123456","iss":"https://transmitter.example.com","aud":"receiver.example.com","iat":1493856000,
             "sub_id":{"format":"opaque","id":"f67e39a0a4d34d56b3aa1bc4cff0069f"},
             "events":{"https://schemas.openid.net/secevent/ssf/event-type/verification":{
               "state":"VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo="}}}
            """
        )
        #expect(claims == expected)
    }

    /// SSF §8.1.4.2: a verification we start ourselves carries no state.
    @Test func verificationWithoutState() {
        let claims = SecurityEventClaims.verification(
            issuer: "i",
            audience: ["a"],
            streamID: "s",
            state: nil,
            issuedAt: Self.seconds(1),
            jti: "j"
        )
        #expect(claims["events"] == [SSFEventType.verification.rawValue: [:]])
    }

    /// SSF §8.1.5's stream-updated SET example.
    @Test func streamUpdatedMatchesTheSSFExample() {
        let claims = SecurityEventClaims.streamUpdated(
            issuer: "https://transmitter.example.com",
            audience: ["receiver.example.com"],
            streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
            status: StreamStatus(.paused, reason: "Internal error"),
            issuedAt: Self.seconds(1_493_856_000),
            jti: "123456"
        )
        let expected = ssfJSON(
            """
            {"jti":"123456","iss":"https://transmitter.example.com","aud":"receiver.example.com","iat":1493856000,
             "sub_id":{"format":"opaque","id":"f67e39a0a4d34d56b3aa1bc4cff0069f"},
             "events":{"https://schemas.openid.net/secevent/ssf/event-type/stream-updated":{
               "status":"paused","reason":"Internal error"}}}
            """
        )
        #expect(claims == expected)
    }

    /// SSF §4.1.1 explicit typing; interop §2.6 RS256.
    @Test func theJOSEHeader() {
        #expect(SecurityEventClaims.header == ["typ": "secevent+jwt", "alg": "RS256"])
        #expect(SecurityEventClaims.contentType == "application/secevent+jwt")
    }
}
