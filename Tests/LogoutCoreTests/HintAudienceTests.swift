import LogoutCore
import Testing

/// BR-9: an RP named by a hint may end sessions and receive the browser only when it is enabled
/// and holds, or held within the expired-hint window, a session of that issuer's subject.
@Suite struct HintAudienceTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let window: Duration = .seconds(86_400)
    static let shop = RelyingParty(
        clientID: "shop",
        backchannelLogoutURI: "https://shop.example/bcl",
        postLogoutRedirectURIs: ["https://shop.example/bye"],
        createdAt: Timestamp(millisecondsSince1970: 1_700_000_000_000),
        updatedAt: Timestamp(millisecondsSince1970: 1_700_000_000_000)
    )
    static let hint = IdTokenHint(iss: "https://idp.example", sub: "u", sid: "s1", audiences: ["shop"])

    static func session(
        issuer: String = "idp",
        sub: String = "u",
        sid: String? = "s1",
        client: String = "shop",
        expires: Duration? = nil,
        ended: Duration? = nil
    ) -> Session {
        Session(
            id: 1,
            issuerName: issuer,
            issuer: "https://\(issuer).example",
            sub: sub,
            sid: sid,
            clientID: client,
            rpSub: sub,
            rpSid: nil,
            createdAt: now - .seconds(90_000),
            expiresAt: expires.map { now + $0 },
            endedAt: ended.map { now + $0 }
        )
    }

    @Test(
        arguments: [
            ("a live session", [session()], "eligible"),
            ("a session registered without a sid", [session(sid: nil)], "eligible"),
            ("a session ended an hour ago", [session(ended: .seconds(-3600))], "eligible"),
            ("a session ended two days ago", [session(ended: .seconds(-172_800))], "noSession"),
            ("a session expired an hour ago", [session(expires: .seconds(-3600))], "eligible"),
            ("a session expired two days ago", [session(expires: .seconds(-172_800))], "noSession"),
            ("another issuer's session", [session(issuer: "app")], "noSession"),
            ("another subject's session", [session(sub: "v")], "noSession"),
            ("another upstream session", [session(sid: "s2")], "noSession"),
            ("another RP's session", [session(client: "billing")], "noSession"),
            ("no session at all", [], "noSession"),
            ("one of several matches", [session(sub: "v"), session(ended: .seconds(-60))], "eligible"),
        ] as [(String, [Session], String)]
    )
    func sessionsThatMakeAnRPTheHintsRP(name: String, sessions: [Session], expected: String) {
        let answer = HintAudience.of(
            Self.shop,
            sessions: sessions,
            issuerName: "idp",
            hint: Self.hint,
            now: Self.now,
            window: Self.window
        )
        let described: String
        switch answer {
        case .eligible(let uris):
            #expect(uris == ["https://shop.example/bye"])
            described = "eligible"
        case .noSession: described = "noSession"
        case .disabled: described = "disabled"
        case .unregistered: described = "unregistered"
        }
        #expect(described == expected, "\(name)")
    }

    @Test func aHintWithoutSidMatchesAnySessionOfItsSubject() {
        var hint = Self.hint
        hint.sid = nil
        let answer = HintAudience.of(
            Self.shop,
            sessions: [Self.session(sid: "other")],
            issuerName: "idp",
            hint: hint,
            now: Self.now,
            window: Self.window
        )
        #expect(answer == .eligible(postLogoutRedirectURIs: ["https://shop.example/bye"]))
    }

    /// RES-4: an RP that hears of every logout of the hint's issuer holds no session rows.
    @Test func anRPFollowingTheIssuersSubjectsIsEligibleWithoutSessions() {
        var follower = Self.shop
        follower.subjects = .all
        follower.issuers = ["idp"]
        let eligible = HintAudience.of(
            follower,
            sessions: [],
            issuerName: "idp",
            hint: Self.hint,
            now: Self.now,
            window: Self.window
        )
        #expect(eligible == .eligible(postLogoutRedirectURIs: ["https://shop.example/bye"]))
        let other = HintAudience.of(
            follower,
            sessions: [],
            issuerName: "app",
            hint: Self.hint,
            now: Self.now,
            window: Self.window
        )
        #expect(other == .noSession, "it follows idp, not app")
        follower.enabled = false
        let disabled = HintAudience.of(
            follower,
            sessions: [],
            issuerName: "idp",
            hint: Self.hint,
            now: Self.now,
            window: Self.window
        )
        #expect(disabled == .disabled)
    }

    @Test func unregisteredAndDisabledRPsAreNeverEligible() {
        var closed = Self.shop
        closed.enabled = false
        for (rp, expected) in [(nil, HintAudience.unregistered), (closed, .disabled)] as [(RelyingParty?, HintAudience)]
        {
            let answer = HintAudience.of(
                rp,
                sessions: [Self.session()],
                issuerName: "idp",
                hint: Self.hint,
                now: Self.now,
                window: Self.window
            )
            #expect(answer == expected)
        }
    }
}
