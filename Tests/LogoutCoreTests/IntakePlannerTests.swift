import LogoutCore
import Testing

/// The rules of recording a logout, once for both stores (IN-12, RES-2, BR-8, BR-9): what is
/// read, and what is written from what was read.
@Suite struct IntakePlannerTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func logout(
        sub: String? = "u",
        sid: String? = nil,
        replay: ReplayKey? = ReplayKey(issuerName: "idp", key: "j1", tokenHash: "h1", expiresAt: now + .seconds(600))
    ) -> AcceptedLogout {
        AcceptedLogout(
            request: LogoutRequest(source: "idp", issuerName: "idp", sub: sub, sid: sid),
            iss: "https://idp.example",
            jti: replay?.key,
            replay: replay,
            tokenHash: "0123456789abcdef0123",
            clientAddress: "127.0.0.1"
        )
    }

    static func session(_ id: Int64, rp: String = "shop", expires: Duration? = nil) -> Session {
        Session(
            id: id,
            issuerName: "idp",
            issuer: "https://idp.example",
            sub: "u",
            sid: nil,
            clientID: rp,
            rpSub: "rp-u",
            rpSid: nil,
            createdAt: now - .seconds(3600),
            expiresAt: expires.map { now + $0 }
        )
    }

    static func rp(_ id: String, enabled: Bool = true) -> RelyingParty {
        RelyingParty(
            clientID: id,
            backchannelLogoutURI: "https://\(id).example/bcl",
            enabled: enabled,
            createdAt: now,
            updatedAt: now
        )
    }

    @Test(
        arguments: [
            ("sub and sid", "u", "s", IntakeQuery.SessionFilter(sub: "u", sid: "s")),
            ("sub only", "u", nil, IntakeQuery.SessionFilter(sub: "u", sid: nil)),
            ("sid only", nil, "s", IntakeQuery.SessionFilter(sub: nil, sid: "s")),
            ("neither: no session is a candidate", nil, nil, nil),
        ] as [(String, String?, String?, IntakeQuery.SessionFilter?)]
    )
    func theSessionsReadAreTheOnesNamed(name: String, sub: String?, sid: String?, filter: IntakeQuery.SessionFilter?) {
        let query = IntakePlanner.query(for: Self.logout(sub: sub, sid: sid))
        #expect(query.sessions == filter, "\(name)")
        #expect(query.issuerName == "idp" && query.replay?.key == "j1")
    }

    @Test func theSameTokenAgainIsADuplicateAndAnotherIsAConflict() {
        let logout = Self.logout()
        let same = ReplayRecord(tokenHash: "h1", eventID: 7, expiresAt: Self.now + .seconds(60))
        guard case .repeated(7, let log?) = IntakePlanner.plan(logout, IntakeSnapshot(previous: same), now: Self.now)
        else {
            Issue.record("not a duplicate of event 7")
            return
        }
        #expect(log.outcome == .duplicate && log.deliveries == 0)

        var other = same
        other.tokenHash = "h2"
        guard case .conflict(let refusal) = IntakePlanner.plan(logout, IntakeSnapshot(previous: other), now: Self.now)
        else {
            Issue.record("not a conflict")
            return
        }
        #expect(refusal.outcome == .rejected && refusal.reason?.hasPrefix("IN-12:") == true)
        #expect(
            IntakePlanner.plan(logout, IntakeSnapshot(previous: other), now: Self.now).recorded(eventID: 0)
                == .replayConflict
        )
    }

    @Test func aRepeatedHintRecordsNothing() {
        var replay = Self.logout().replay!
        replay.logsRepeats = false
        let previous = ReplayRecord(tokenHash: "h1", eventID: 7, expiresAt: Self.now + .seconds(60))
        let plan = IntakePlanner.plan(Self.logout(replay: replay), IntakeSnapshot(previous: previous), now: Self.now)
        #expect(plan == .repeated(originalEventID: 7, log: nil))
        #expect(plan.recorded(eventID: 0) == .duplicate(originalEventID: 7))
    }

    @Test func anExpiredReplayRecordIsNoLongerARepeat() {
        let expired = ReplayRecord(tokenHash: "h2", eventID: 7, expiresAt: Self.now)
        guard
            case .accept(let plan) = IntakePlanner.plan(Self.logout(), IntakeSnapshot(previous: expired), now: Self.now)
        else {
            Issue.record("an expired record still blocked")
            return
        }
        #expect(plan.replay?.key == "j1")
    }

    /// RES-2: an expired session is over, not ended by this logout; the rest end and fan out.
    @Test func liveSessionsEndAndFanOutExpiredOnesAreLeft() {
        let snapshot = IntakeSnapshot(
            sessions: [
                Self.session(1), Self.session(2, rp: "wiki", expires: .seconds(-1)),
                Self.session(3, expires: .seconds(60)),
            ],
            relyingParties: ["shop": Self.rp("shop"), "wiki": Self.rp("wiki")]
        )
        guard case .accept(let plan) = IntakePlanner.plan(Self.logout(), snapshot, now: Self.now) else {
            Issue.record("not accepted")
            return
        }
        #expect(plan.endedSessions == [1, 3])
        #expect(plan.deliveries.map(\.clientID) == ["shop"], "one delivery per RP and subject")
        #expect(plan.event.outcome == .accepted && plan.event.deliveries == 1 && plan.wakesDispatchers)
        #expect(
            IntakePlanner.plan(Self.logout(), snapshot, now: Self.now).recorded(eventID: 9)
                == .accepted(eventID: 9, deliveries: 1, skipped: [], revocations: 0)
        )
    }

    /// FC-3: an unsigned front-channel request writes nothing unless a live session ends (not
    /// even skipped deliveries to the RPs that follow every subject), decided on what the
    /// transaction read; a live one is accepted as any logout.
    @Test func aFrontChannelLogoutWritesNothingWithoutALiveSession() {
        var logout = Self.logout(sub: nil, sid: "s", replay: nil)
        logout.requiresLiveSession = true
        logout.sessionsRegisteredBy = Self.now
        var ended = Self.session(1)
        ended.endedAt = Self.now - .seconds(5)
        var later = Self.session(3)
        later.createdAt = Self.now + .seconds(1)
        let follower = Self.rp("siem")
        for (row, sessions) in [
            ("no session", []), ("an ended one", [ended]), ("an expired one", [Self.session(2, expires: .seconds(-1))]),
            ("one registered after the request", [later]),
        ] as [(String, [Session])] {
            let snapshot = IntakeSnapshot(
                sessions: sessions,
                relyingParties: ["shop": Self.rp("shop")],
                followers: [follower]
            )
            #expect(IntakePlanner.plan(logout, snapshot, now: Self.now) == .nothingToEnd, "\(row)")
            #expect(IntakePlanner.plan(logout, snapshot, now: Self.now).recorded(eventID: 0) == .nothingToEnd)
        }
        let live = IntakeSnapshot(sessions: [Self.session(4)], relyingParties: ["shop": Self.rp("shop")])
        guard case .accept(let plan) = IntakePlanner.plan(logout, live, now: Self.now) else {
            Issue.record("a live session did not end")
            return
        }
        #expect(plan.endedSessions == [4] && plan.replay == nil)
    }

    /// RES-2 for a SET that arrives late: the sessions registered after its event are not the
    /// ones it revokes.
    @Test func aLateSETLeavesTheSessionsRegisteredAfterItsEvent() {
        var late = Self.session(2)
        late.createdAt = Self.now - .seconds(60)
        let snapshot = IntakeSnapshot(sessions: [Self.session(1), late], relyingParties: ["shop": Self.rp("shop")])
        var logout = Self.logout()
        logout.sessionsRegisteredBy = Self.now - .seconds(600)
        guard case .accept(let plan) = IntakePlanner.plan(logout, snapshot, now: Self.now) else {
            Issue.record("not accepted")
            return
        }
        #expect(plan.endedSessions == [1])
        logout.sessionsRegisteredBy = Self.now - .seconds(60)
        guard case .accept(let atTheEvent) = IntakePlanner.plan(logout, snapshot, now: Self.now) else {
            Issue.record("not accepted")
            return
        }
        #expect(atTheEvent.endedSessions == [1, 2], "a session registered at the event's time is one it names")
    }

    @Test func onlySkippedDeliveriesWakeNoDispatcher() {
        let snapshot = IntakeSnapshot(
            sessions: [Self.session(1)],
            relyingParties: ["shop": Self.rp("shop", enabled: false)]
        )
        guard case .accept(let plan) = IntakePlanner.plan(Self.logout(), snapshot, now: Self.now) else {
            Issue.record("not accepted")
            return
        }
        #expect(plan.deliveries.count == 1 && plan.deliveries[0].skipReason != nil)
        #expect(!plan.wakesDispatchers)
    }

    /// BR-8: refresh token first, the access token after it, only when the issuer revokes.
    @Test(
        arguments: [
            (
                "both tokens", true, [RevocationTokenType.refreshToken, .accessToken],
                ["refresh_token first", "access_token after"]
            ),
            ("an access token alone", true, [.accessToken], ["access_token first"]),
            ("a refresh token alone", true, [.refreshToken], ["refresh_token first"]),
            ("no token", true, [], []),
            ("an issuer without a revocation endpoint", false, [.refreshToken, .accessToken], []),
        ] as [(String, Bool, [RevocationTokenType], [String])]
    )
    func endedSessionsGiveUpTheirTokens(name: String, revokes: Bool, held: [RevocationTokenType], expected: [String]) {
        let snapshot = IntakeSnapshot(
            sessions: [Self.session(1)],
            relyingParties: ["shop": Self.rp("shop")],
            heldTokens: [1: Set(held)],
            issuerRevokes: revokes
        )
        guard case .accept(let plan) = IntakePlanner.plan(Self.logout(), snapshot, now: Self.now) else {
            Issue.record("not accepted")
            return
        }
        let planned = plan.revocations.map { "\($0.tokenType.rawValue) \($0.afterPrevious ? "after" : "first")" }
        #expect(planned == expected, "\(name)")
        #expect(plan.revocations.allSatisfy { $0.sessionID == 1 })
    }

    @Test func eventsKeepBoundedFields() {
        let event = NewEvent(
            receivedAt: Self.now,
            source: "idp",
            iss: String(repeating: "i", count: 5000),
            sub: "u",
            sid: nil,
            jti: String(repeating: "j", count: 5000),
            tokenHash: String(repeating: "h", count: 64),
            outcome: .accepted,
            reason: nil,
            deliveries: 0,
            clientAddress: nil
        )
        #expect(event.iss?.count == 1024 && event.jti?.count == 256 && event.tokenHash?.count == 16)
        let rejected = NewEvent(
            RejectedLogout(
                source: "idp",
                iss: nil,
                sub: String(repeating: "s", count: 5000),
                sid: nil,
                jti: nil,
                tokenHash: nil,
                reason: "IN-9: x",
                clientAddress: nil
            ),
            at: Self.now
        )
        #expect(rejected.outcome == .rejected && rejected.sub == String(repeating: "s", count: 256) + "…")
    }
}
