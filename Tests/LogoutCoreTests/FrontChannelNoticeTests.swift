import LogoutCore
import Testing

/// FC-1, FC-2, FC-4: what the front-channel bridge takes from an OP's logout iframe, one row per
/// rule (OIDC Front-Channel Logout 1.0 §2–4).
@Suite struct FrontChannelNoticeTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)

    static func issuer(intake: Bool = true, iss: String = "https://auth.example", endSession: String? = nil) -> Issuer {
        Issuer(
            name: "llng",
            issuer: iss,
            audience: "logoutd",
            keySource: .jwksURI("https://auth.example/jwks"),
            algorithms: [.rs256],
            endSessionEndpoint: endSession,
            frontchannelIntake: intake,
            createdAt: now
        )
    }

    @Test(
        arguments: [
            ("iss and sid", "iss=https%3A%2F%2Fauth.example&sid=abc", "abc"),
            ("other parameters are ignored", "sid=abc&iss=https%3A%2F%2Fauth.example&from=portal", "abc"),
            ("a sid as LemonLDAP::NG sends it", "iss=https%3A%2F%2Fauth.example&sid=7f2a%2Bb%3D%3D", "7f2a+b=="),
        ]
    )
    func accepts(_ row: String, query: String, sid: String) throws {
        let notice = try FrontChannelNotice.parse(query: query)
        #expect(notice == FrontChannelNotice(iss: "https://auth.example", sid: sid), "\(row)")
        try notice.check(against: Self.issuer())
    }

    @Test(
        arguments: [
            ("no query", nil, "FC-2", "iss is missing"),
            (
                "no sid: the OP must send it (session required)", "iss=https%3A%2F%2Fauth.example", "FC-2",
                "sid is missing"
            ),
            ("an empty sid", "iss=https%3A%2F%2Fauth.example&sid=", "FC-2", "sid is missing"),
            ("no iss", "sid=abc", "FC-2", "iss is missing"),
            ("sid twice", "iss=x&sid=a&sid=b", "FC-2", "sid must be sent once"),
            ("iss twice", "iss=x&iss=y&sid=a", "FC-2", "iss must be sent once"),
            ("a control character", "iss=x&sid=a%00b", "FC-2", "sid contains a control character"),
            ("bad percent encoding", "iss=x&sid=%zz", "FC-2", "not valid URL encoding"),
            ("a sid too long", "iss=x&sid=" + String(repeating: "a", count: 1025), "FC-2", "longer than 1024"),
        ] as [(String, String?, String, String)]
    )
    func refusesTheQuery(_ row: String, query: String?, rule: String, words: String) {
        do {
            _ = try FrontChannelNotice.parse(query: query)
            Issue.record("\(row): accepted")
        } catch {
            #expect(error.rule == rule && error.description.contains(words), "\(row): \(error)")
        }
    }

    @Test(
        arguments: [
            ("an unknown name", nil, "https://auth.example", "FC-1"),
            ("an issuer that did not turn the intake on", issuer(intake: false), "https://auth.example", "FC-1"),
            ("another iss", issuer(), "https://evil.example", "FC-2"),
            ("iss differs by a trailing slash", issuer(), "https://auth.example/", "FC-2"),
        ] as [(String, Issuer?, String, String)]
    )
    func refusesAgainstTheRegistration(_ row: String, issuer: Issuer?, iss: String, rule: String) {
        do {
            try FrontChannelNotice(iss: iss, sid: "abc").check(against: issuer)
            Issue.record("\(row): accepted")
        } catch {
            #expect(error.rule == rule, "\(row): \(error)")
        }
    }

    @Test func onlyTheOPsOriginsMayFrameTheAnswer() {
        #expect(FrontChannelNotice.frameAncestors(of: Self.issuer()) == ["https://auth.example"])
        #expect(
            FrontChannelNotice.frameAncestors(
                of: Self.issuer(iss: "http://Auth.Example:8080/oidc", endSession: "https://portal.example/logout?x=1")
            ) == ["http://auth.example:8080", "https://portal.example"]
        )
        #expect(
            FrontChannelNotice.frameAncestors(of: Self.issuer(endSession: "https://auth.example/oauth2/logout"))
                == ["https://auth.example"]
        )
        #expect(FrontChannelNotice.frameAncestors(of: Self.issuer(iss: "urn:app:shop")).isEmpty)
        #expect(
            FrontChannelNotice.frameAncestors(of: Self.issuer(iss: "http://[::1]:8080/op")) == ["http://[::1]:8080"]
        )
    }

    /// An admin-registered `iss` is text: nothing in it may become another CSP directive or a
    /// wildcard (found by an outside review: `* ; report-uri …` passed the old host check).
    @Test(
        arguments: [
            "* ; report-uri https://evil.example/r; frame-ancestors *; x://op", "https://*.example.com",
            "https://*", "https://op.example:*", "urn://x", "https://op.example;frame-ancestors *",
            "https://op example", "https://.example", "https://op.example:123456", "https://[::1",
            "javascript://op.example", "https://ﬀ.example",
        ]
    )
    func nothingButAnOriginGetsIntoThePolicy(_ iss: String) {
        #expect(FrontChannelNotice.frameAncestors(of: Self.issuer(iss: iss)).isEmpty, "\(iss)")
    }
}
