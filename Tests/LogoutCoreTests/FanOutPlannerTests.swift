import LogoutCore
import Testing

@Suite struct FanOutPlannerTests {
    static let epoch = Timestamp.distantPast

    static func rp(
        _ id: String,
        sessionRequired: Bool = false,
        subjects: RelyingParty.Subjects = .registered,
        issuers: [String] = [],
        enabled: Bool = true
    ) -> RelyingParty {
        RelyingParty(
            clientID: id,
            backchannelLogoutURI: "https://\(id).example/bcl",
            sessionRequired: sessionRequired,
            subjects: subjects,
            issuers: issuers,
            enabled: enabled,
            createdAt: epoch,
            updatedAt: epoch
        )
    }

    static func session(
        _ id: Int64,
        rp: String,
        sub: String = "u",
        sid: String? = nil,
        rpSub: String? = nil,
        rpSid: String? = nil
    ) -> Session {
        Session(
            id: id,
            issuerName: "idp",
            issuer: "https://idp",
            sub: sub,
            sid: sid,
            clientID: rp,
            rpSub: rpSub ?? sub,
            rpSid: rpSid ?? sid,
            createdAt: epoch,
            expiresAt: nil
        )
    }

    static func request(sub: String? = "u", sid: String? = nil) -> LogoutRequest {
        LogoutRequest(source: "idp", issuerName: "idp", sub: sub, sid: sid)
    }

    @Test func oneDeliveryPerRPFacingSession() {
        let plan = FanOutPlanner.plan(
            request: Self.request(),
            sessions: [
                Self.session(1, rp: "a", sid: "s1", rpSub: "pairwise-a", rpSid: "a-s1"),
                Self.session(2, rp: "a", sid: "s2", rpSub: "pairwise-a", rpSid: "a-s2"),
                Self.session(3, rp: "b", rpSub: "pairwise-b"),
                Self.session(4, rp: "b", rpSub: "pairwise-b"),
            ],
            relyingParties: ["a": Self.rp("a"), "b": Self.rp("b")],
            followers: []
        )
        #expect(
            plan == [
                PlannedDelivery(clientID: "a", sub: "pairwise-a", sid: "a-s1"),
                PlannedDelivery(clientID: "a", sub: "pairwise-a", sid: "a-s2"),
                PlannedDelivery(clientID: "b", sub: "pairwise-b", sid: nil),
            ]
        )
    }

    @Test func sessionRequiredWithoutSidIsSkippedWithReason() {
        let plan = FanOutPlanner.plan(
            request: Self.request(),
            sessions: [Self.session(1, rp: "a")],
            relyingParties: ["a": Self.rp("a", sessionRequired: true)],
            followers: []
        )
        #expect(plan.count == 1)
        #expect(plan[0].skipReason?.contains("requires sid") == true)
    }

    @Test func disabledRPIsSkipped() {
        let plan = FanOutPlanner.plan(
            request: Self.request(),
            sessions: [Self.session(1, rp: "a", sid: "s")],
            relyingParties: ["a": Self.rp("a", enabled: false)],
            followers: []
        )
        #expect(plan.first?.skipReason == "the RP is disabled")
    }

    @Test func followersHearEveryLogoutOfTheirIssuersBySub() {
        let followers = [
            Self.rp("all", subjects: .all, issuers: ["idp"]),
            Self.rp("other-issuer", subjects: .all, issuers: ["elsewhere"]),
            Self.rp("registered-only"),
        ]
        let plan = FanOutPlanner.plan(
            request: Self.request(sid: "s"),
            sessions: [],
            relyingParties: [:],
            followers: followers
        )
        #expect(plan == [PlannedDelivery(clientID: "all", sub: "u", sid: nil)])
    }

    @Test func followerWithoutSubIsSkipped() {
        let plan = FanOutPlanner.plan(
            request: Self.request(sub: nil, sid: "s"),
            sessions: [],
            relyingParties: [:],
            followers: [Self.rp("all", subjects: .all, issuers: ["idp"])]
        )
        #expect(plan.count == 1 && plan[0].skipReason != nil)
    }

    @Test func followerWithARegisteredSessionIsNotNotifiedTwice() {
        let plan = FanOutPlanner.plan(
            request: Self.request(),
            sessions: [Self.session(1, rp: "all", sid: "s")],
            relyingParties: ["all": Self.rp("all", subjects: .all, issuers: ["idp"])],
            followers: [Self.rp("all", subjects: .all, issuers: ["idp"])]
        )
        #expect(plan == [PlannedDelivery(clientID: "all", sub: "u", sid: "s")])
    }

    @Test func noSessionNoFollowerMeansNoDelivery() {
        #expect(FanOutPlanner.plan(request: Self.request(), sessions: [], relyingParties: [:], followers: []).isEmpty)
    }
}
