import LogoutCore
import Testing

/// BR-7: which RPs get a front-channel iframe, and with which parameters (Front-Channel Logout 1.0 §2).
@Suite struct FrontChannelPlanTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func session(_ clientID: String, sid: String? = "op-1", rpSid: String? = "rp-1") -> Session {
        Session(
            id: 1,
            issuerName: "idp",
            issuer: "https://idp.example",
            sub: "u",
            sid: sid,
            clientID: clientID,
            rpSub: "u",
            rpSid: rpSid,
            createdAt: now,
            expiresAt: nil
        )
    }

    static func rp(
        _ clientID: String,
        frontchannel: String? = nil,
        required: Bool = false,
        tokenIssuer: String? = nil,
        enabled: Bool = true
    ) -> RelyingParty {
        RelyingParty(
            clientID: clientID,
            backchannelLogoutURI: "https://\(clientID).example/bcl",
            tokenIssuer: tokenIssuer,
            enabled: enabled,
            frontchannelLogoutURI: frontchannel,
            frontchannelLogoutSessionRequired: required,
            createdAt: now,
            updatedAt: now
        )
    }

    static let rps: [String: RelyingParty] = [
        "wiki": rp("wiki", frontchannel: "https://wiki.example/fc", required: true),
        "blog": rp("blog", frontchannel: "https://blog.example:8443/logout?from=op"),
        "mail": rp("mail", frontchannel: "https://mail.example/fc", required: true, tokenIssuer: "https://idp.example"),
        "shop": rp("shop"),
        "off": rp("off", frontchannel: "https://off.example/fc", enabled: false),
    ]

    static func frames(_ sessions: [Session], sid: String? = "op-1") -> [String] {
        FrontChannelPlan.frames(sessions: sessions, sid: sid, relyingParties: rps, ourIssuer: "https://logoutd.example")
    }

    @Test(
        arguments: [
            (
                "session required: iss and the RP's sid", [session("wiki")], "op-1",
                ["https://wiki.example/fc?iss=https%3A%2F%2Flogoutd.example&sid=rp-1"]
            ),
            (
                "not required: the bare URI, its query kept", [session("blog")], "op-1",
                ["https://blog.example:8443/logout?from=op"]
            ),
            (
                "the RP's token issuer", [session("mail")], "op-1",
                ["https://mail.example/fc?iss=https%3A%2F%2Fidp.example&sid=rp-1"]
            ),
            (
                "no RP-facing sid: iss only", [session("wiki", rpSid: nil)], "op-1",
                ["https://wiki.example/fc?iss=https%3A%2F%2Flogoutd.example"]
            ),
            ("another session of the subject", [session("wiki", sid: "op-2")], "op-1", []),
            (
                "a subject-wide logout takes every session", [session("wiki", sid: "op-2"), session("blog", sid: nil)],
                nil,
                [
                    "https://wiki.example/fc?iss=https%3A%2F%2Flogoutd.example&sid=rp-1",
                    "https://blog.example:8443/logout?from=op",
                ]
            ),
            ("back-channel only", [session("shop")], "op-1", []),
            ("a disabled RP", [session("off")], "op-1", []),
            ("an RP that is gone", [session("gone")], "op-1", []),
            (
                "one frame per URI", [session("blog"), session("blog")], "op-1",
                ["https://blog.example:8443/logout?from=op"]
            ),
        ] as [(String, [Session], String?, [String])]
    )
    func frames(name: String, sessions: [Session], sid: String?, expected: [String]) {
        #expect(Self.frames(sessions, sid: sid) == expected, "\(name)")
    }

    @Test func originsAreWhatThePageMayFrame() {
        #expect(
            FrontChannelPlan.origins([
                "https://Wiki.example/fc?iss=x", "https://wiki.example/other", "http://127.0.0.1:9000/fc",
                "https://user@blog.example:8443/x", "not a url", "https://bad;host/x",
            ]) == ["https://wiki.example", "http://127.0.0.1:9000", "https://blog.example:8443"]
        )
    }
}
