import LogoutCore
import Testing

/// Which streams get which session-revoked SETs (SSF-3, SSF §8.1.2, §8.1.3), one row per rule.
@Suite struct SecurityEventFanOutTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let logout = SecurityEventFanOut.Logout(
        eventID: 42,
        source: "idp",
        iss: "https://idp.example",
        sub: "marie",
        sid: "s-1",
        receivedAt: now - .seconds(3)
    )

    static func stream(
        _ id: String,
        status: StreamStatus.State = .enabled,
        events: [SSFEventType] = [.sessionRevoked],
        removed: [SubjectIdentifier] = []
    ) -> SecurityEventFanOut.Stream {
        SecurityEventFanOut.Stream(
            configuration: StreamConfiguration(
                streamID: id,
                issuer: "https://logoutd.example",
                audience: ["receiver-" + id],
                eventsRequested: events,
                eventsDelivered: StreamConfiguration.delivered(requested: events, supported: SSFEventType.supported),
                delivery: StreamDelivery(method: .poll, endpointURL: "https://logoutd.example/ssf/poll/" + id)
            ),
            status: status,
            removedSubjects: removed
        )
    }

    static func plan(
        _ streams: [SecurityEventFanOut.Stream],
        logouts: [SecurityEventFanOut.Logout] = [logout]
    ) -> [SecurityEventFanOut.Planned] {
        var counter = 0
        return SecurityEventFanOut.plan(logouts, streams: streams, issuer: "https://logoutd.example", now: now) {
            counter += 1
            return "jti-\(counter)"
        }
    }

    @Test(
        arguments: [
            ("SSF §8.1.2 an enabled stream gets the SET", stream("a"), true, false),
            ("SSF §8.1.2 a paused stream's SET is held", stream("a", status: .paused), true, true),
            ("SSF §8.1.2 a disabled stream drops it", stream("a", status: .disabled), false, false),
            ("SSF §8.1.1 events_delivered without session-revoked: none", stream("a", events: []), false, false),
            (
                "SSF §8.1.3 the person removed by iss_sub: none",
                stream("a", removed: [.issSub(iss: "https://idp.example", sub: "marie")]), false, false
            ),
            (
                "SSF §8.1.3.1 removed as a complex subject with the session: none",
                stream("a", removed: [.person(iss: "https://idp.example", sub: "marie", sessionID: "s-1")]), false,
                false
            ),
            (
                "SSF §8.1.3 another person removed: sent",
                stream("a", removed: [.issSub(iss: "https://idp.example", sub: "paul")]), true, false
            ),
            (
                "SSF §8.1.3.1 the same sub of another issuer removed: sent",
                stream("a", removed: [.issSub(iss: "https://other.example", sub: "marie")]), true, false
            ),
        ]
    )
    func streamRules(rule: String, stream: SecurityEventFanOut.Stream, sent: Bool, held: Bool) {
        let planned = Self.plan([stream])
        #expect(planned.count == (sent ? 1 : 0), "\(rule)")
        #expect(planned.first?.held ?? false == held, "\(rule)")
    }

    @Test func aSETCarriesThePersonTheSessionAndTheLogoutAsCAEPSays() throws {
        let planned = Self.plan([Self.stream("a"), Self.stream("b")])
        #expect(planned.map(\.streamID) == ["a", "b"])
        #expect(planned.map(\.jti) == ["jti-1", "jti-2"], "one jti per SET")
        let claims = try #require(planned.first?.claims)
        #expect(claims["iss"] == "https://logoutd.example")
        #expect(claims["aud"] == "receiver-a")
        #expect(claims["jti"] == "jti-1")
        #expect(claims["txn"] == "42", "txn is our event id, as in the logout tokens")
        #expect(claims["iat"] == .number(1_800_000_000))
        #expect(
            claims["sub_id"]
                == ssfJSON(
                    #"{"format":"complex","user":{"format":"iss_sub","iss":"https://idp.example","sub":"marie"},"session":{"format":"opaque","id":"s-1"}}"#
                )
        )
        let event = try #require(claims["events"]?[SSFEventType.sessionRevoked.rawValue])
        #expect(event["event_timestamp"] == .number(1_799_999_997))
        #expect(event["initiating_entity"] == "user")
        #expect(event["reason_admin"]?["en"]?.stringValue?.contains("https://idp.example") == true)
        #expect(claims["sub"] == nil && claims["exp"] == nil, "SSF §4.1: never sub or exp")
    }

    @Test(
        arguments: [
            ("admin", SecurityEventClaims.InitiatingEntity.admin, "administrator"),
            ("end-session", .user, "RP-Initiated Logout"),
            ("idp", .user, "Back-channel logout"),
        ]
    )
    func theSourceSaysWhoAndWhy(source: String, entity: SecurityEventClaims.InitiatingEntity, reason: String) throws {
        var logout = Self.logout
        logout.source = source
        let claims = try #require(Self.plan([Self.stream("a")], logouts: [logout]).first?.claims)
        let event = claims["events"]?[SSFEventType.sessionRevoked.rawValue]
        #expect(event?["initiating_entity"]?.stringValue == entity.rawValue)
        #expect(event?["reason_admin"]?["en"]?.stringValue?.contains(reason) == true)
    }

    /// A logout that named only a session: the subject is that session (CAEP §3.1's first
    /// example), and a person's removal does not hold it back.
    @Test func aSessionOnlyLogoutNamesTheSession() throws {
        var logout = Self.logout
        logout.sub = nil
        let planned = Self.plan(
            [Self.stream("a", removed: [.issSub(iss: "https://idp.example", sub: "marie")])],
            logouts: [logout]
        )
        let claims = try #require(planned.first?.claims)
        #expect(claims["sub_id"] == ssfJSON(#"{"format":"complex","session":{"format":"opaque","id":"s-1"}}"#))
        logout.sid = nil
        #expect(Self.plan([Self.stream("a")], logouts: [logout]).isEmpty, "neither sub nor sid: nothing to name")
    }
}
