import LogoutCore
import Testing

/// SSF-5: what an accepted SET asks of us.
extension SETValidatorTests {
    /// CAEP §3.1's example ends session dMTlD… of user 99beb27c…, with its annotations.
    @Test func theCAEPExampleRevokesItsUsersSession() throws {
        let received = try Self.check(Self.claims())
        #expect(received.jti == "24c63fb56e5a2d77a6b512616ca9fa24")
        #expect(received.txn == "8675309")
        #expect(received.issuedAt == Self.now)
        let expected = SessionRevocation(
            sub: "99beb27c-c1c2-4955-882a-e0dc4996fcbc",
            sid: "dMTlD|1600802906337.16|16008.16",
            eventTime: Timestamp(millisecondsSince1970: 1_615_304_991_000),
            reasonAdmin: "Landspeed Policy Violation: C076E82F",
            initiatingEntity: .policy
        )
        #expect(received.event == .sessionRevoked(expected))
        #expect(
            expected.logoutClaims(issuer: Self.issuer, jti: "j")
                == LogoutClaims(iss: Self.issuer, sub: expected.sub, sid: expected.sid, jti: "j")
        )
    }

    static func revocation(_ subID: JSONValue, event: JSONValue = [:]) -> [String: JSONValue] {
        claims(["sub_id": subID, "events": .object([revoked: event])])
    }

    @Test(
        arguments: [
            (
                "CAEP §3.1 iss_sub of the issuer: the user's sessions",
                revocation(["format": "iss_sub", "iss": .string(issuer), "sub": "u1"]), "u1" as String?, nil as String?
            ),
            ("CAEP §3.1 opaque simple subject: that session", revocation(["format": "opaque", "id": "s1"]), nil, "s1"),
            (
                "complex with a session only",
                revocation(["format": "complex", "session": ["format": "opaque", "id": "s2"]]), nil, "s2"
            ),
            (
                "complex with an email user and a session: the session",
                revocation([
                    "format": "complex", "user": ["format": "email", "email": "a@b"],
                    "session": ["format": "opaque", "id": "s3"],
                ]), nil, "s3"
            ),
        ]
    )
    func revokes(rule: String, claims: [String: JSONValue], sub: String?, sid: String?) throws {
        guard case .sessionRevoked(let revocation) = try Self.check(claims).event else {
            Issue.record("\(rule): not a revocation")
            return
        }
        #expect(revocation.sub == sub && revocation.sid == sid, "\(rule)")
    }

    /// Accepted (202) and logged, never acted on: a transmitter that sends more does not break.
    @Test(
        arguments: [
            (
                "interop §2.5 an email subject names no session of ours",
                revocation(["format": "email", "email": "a@b"])
            ),
            (
                "a user of another issuer",
                revocation(["format": "iss_sub", "iss": "https://other.example", "sub": "u1"])
            ),
            ("a subject format we do not know", revocation(["format": "phone_number", "phone_number": "+1"])),
            (
                "a complex subject naming only a tenant",
                revocation(["format": "complex", "tenant": ["format": "opaque", "id": "t"]])
            ),
            (
                "SSF §3.3 a user on one device: narrower than any session of ours",
                revocation([
                    "format": "complex", "user": ["format": "iss_sub", "iss": .string(issuer), "sub": "u1"],
                    "device": ["format": "opaque", "id": "d1"],
                ])
            ),
            (
                "another event type",
                claims([
                    "sub_id": ["format": "catalog_item", "catalog_id": "c0384"],
                    "events": [
                        "https://schemas.openid.net/secevent/caep/event-type/token-claims-change": [
                            "claims": ["role": "ro-admin"]
                        ]
                    ],
                ])
            ),
        ]
    )
    func acceptsWithoutActing(rule: String, claims: [String: JSONValue]) throws {
        guard case .notActedOn(_, let reason) = try Self.check(claims).event else {
            Issue.record("\(rule) was acted on")
            return
        }
        #expect(!reason.isEmpty, "\(rule)")
    }

    /// Annotations that are not well formed are ignored: the revocation still happens.
    @Test func malformedAnnotationsDoNotStopARevocation() throws {
        let event: JSONValue = [
            "reason_admin": "text, not a map", "initiating_entity": "robot", "event_timestamp": "yesterday",
        ]
        let claims = Self.revocation(["format": "opaque", "id": "s1"], event: event).merging(["txn": 5]) { $1 }
        let received = try Self.check(claims)
        #expect(received.event == .sessionRevoked(SessionRevocation(sub: nil, sid: "s1")))
        #expect(received.txn == nil)
    }

    /// CAEP §2: the English reason when there is one, else the first language in order.
    @Test func reasonAdminPrefersEnglish() throws {
        let claims = Self.revocation(
            ["format": "opaque", "id": "s1"],
            event: ["reason_admin": ["de": "Grund", "fr": "raison"]]
        )
        guard case .sessionRevoked(let revocation) = try Self.check(claims).event else {
            Issue.record("not a revocation")
            return
        }
        #expect(revocation.reasonAdmin == "Grund")
    }

    /// SSF §8.1.4.2's verification SET, as an upstream transmitter sends it to our stream.
    @Test func verificationEventsGiveTheirStreamAndState() throws {
        let claims = Self.claims([
            "sub_id": ["format": "opaque", "id": "f67e39a0a4d34d56b3aa1bc4cff0069f"],
            "events": .object([
                SSFEventType.verification.rawValue: ["state": "VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo="]
            ]),
        ])
        let received = try Self.check(claims)
        #expect(
            received.event
                == .verification(
                    streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
                    state: "VGhpcyBpcyBhbiBleGFtcGxlIHN0YXRlIHZhbHVlLgo="
                )
        )
    }

    /// SSF §8.1.5's stream-updated SET.
    @Test func streamUpdatedEventsGiveTheNewStatus() throws {
        let claims = Self.claims([
            "sub_id": ["format": "opaque", "id": "f67e39a0a4d34d56b3aa1bc4cff0069f"],
            "events": .object([SSFEventType.streamUpdated.rawValue: ["status": "paused", "reason": "Internal error"]]),
        ])
        #expect(
            try Self.check(claims).event
                == .streamUpdated(
                    streamID: "f67e39a0a4d34d56b3aa1bc4cff0069f",
                    status: StreamStatus(.paused, reason: "Internal error")
                )
        )
    }

    /// RFC 8935 §2.3: the 400 body, and the refusals the shell makes around the signature.
    @Test func refusalBodies() {
        #expect(
            SETRejection.invalidSignature().body.json == [
                "err": "authentication_failed",
                "description": "the SET's signature does not verify with the issuer's keys",
            ]
        )
        #expect(SETRejection.unknownKey("k9").err == .invalidKey)
        #expect(SETRejection.noUsableKey().err == .invalidKey)
        #expect(SETRejection.unknownIssuer().err == .invalidIssuer)
        #expect(SETRejection.notAllowed().err == .accessDenied)
        #expect(SETRejection(parsing: TokenRejection("IN-2", "three segments")).err == .invalidRequest)
    }
}
