import LogoutCore
import Testing

/// RP-initiated logout decisions (BR-1, BR-3 to BR-5), one row per case of the OpenID
/// conformance suite's OP-side RP-initiated logout plan, with the exact redirect or page.
@Suite struct EndSessionPlannerTests {
    typealias Planner = EndSessionPlanner
    static let registered = "https://shop.example/signed-out"
    static let hint = IdTokenHint(iss: "https://idp.example", sub: "u", sid: "s1", audiences: ["shop"])
    static let redirects: [String: [String]] = [
        "shop": [registered, "https://shop.example/bye?lang=fr"], "billing": ["https://billing.example/"],
    ]

    /// Registered RPs that may not be the hint's RP (BR-9).
    static let audiences: [String: HintAudience] = ["closed": .disabled, "stranger": .noSession]

    static func request(
        hint: String? = "eyJ.hint",
        uri: String? = registered,
        state: String? = "af0ifjsldkj",
        clientID: String? = nil
    ) -> EndSessionRequest {
        EndSessionRequest(idTokenHint: hint, postLogoutRedirectURI: uri, state: state, clientID: clientID)
    }

    /// What the planner answers once the hint (if any) verified as `hint`.
    static func outcome(_ request: EndSessionRequest, hint: IdTokenHint = hint) -> String {
        switch Planner.screen(request) {
        case .signedOutPage: return "page"
        case .refused(let why): return why.rule
        case .verify:
            let audience = { (clientID: String) -> HintAudience in
                if let uris = redirects[clientID] { return .eligible(postLogoutRedirectURIs: uris) }
                return audiences[clientID] ?? .unregistered
            }
            switch Planner.decide(request, hint: hint, audience: audience) {
            case .refused(let why): return why.rule
            case .logout(_, let clientID, let redirect?): return "logout \(clientID) → \(redirect)"
            case .logout(_, let clientID, nil): return "logout \(clientID) → page"
            }
        }
    }

    @Test(
        arguments: [
            ("normal", request(), "logout shop → \(registered)?state=af0ifjsldkj"),
            ("no id_token_hint", request(hint: nil, clientID: "shop"), "BR-3"),
            ("no parameters", EndSessionRequest(), "page"),
            ("no post_logout_redirect_uri", request(uri: nil), "logout shop → page"),
            ("no state", request(state: nil), "logout shop → \(registered)"),
            ("only state", request(hint: nil, uri: nil), "page"),
            ("unregistered post_logout_redirect_uri", request(uri: "https://evil.example/"), "BR-5"),
            ("a query added to a registered URI", request(uri: registered + "?x=1"), "BR-5"),
            ("a trailing slash added", request(uri: registered + "/"), "BR-5"),
            ("another case", request(uri: "https://shop.example/Signed-Out"), "BR-5"),
            ("another RP's URI", request(uri: "https://billing.example/"), "BR-5"),
            (
                "a registered URI with a query keeps it",
                request(uri: "https://shop.example/bye?lang=fr", state: "a b&c"),
                "logout shop → https://shop.example/bye?lang=fr&state=a%20b%26c"
            ),
            ("client_id of the hint", request(clientID: "shop"), "logout shop → \(registered)?state=af0ifjsldkj"),
            ("client_id the hint was not issued to", request(clientID: "billing"), "BR-4"),
            ("client_id of no registered RP", request(clientID: "ghost"), "BR-4"),
        ] as [(String, EndSessionRequest, String)]
    )
    func conformanceCases(name: String, request: EndSessionRequest, expected: String) {
        #expect(Self.outcome(request) == expected, "\(name)")
    }

    @Test func theRPIsTheHintsOnlyRegisteredAudienceOrItsAuthorizedParty() {
        var hint = Self.hint
        hint.audiences = ["ghost"]
        #expect(Self.outcome(Self.request(), hint: hint) == "BR-9", "no eligible RP; the page does not say why")
        hint.audiences = ["shop", "billing"]
        #expect(Self.outcome(Self.request(), hint: hint) == "BR-4", "two registered audiences, no azp or client_id")
        hint.authorizedParty = "shop"
        #expect(Self.outcome(Self.request(), hint: hint) == "logout shop → \(Self.registered)?state=af0ifjsldkj")
        #expect(Self.outcome(Self.request(uri: nil, clientID: "billing"), hint: hint) == "logout billing → page")
        hint.audiences = ["shop", "unknown"]
        hint.authorizedParty = nil
        #expect(Self.outcome(Self.request(), hint: hint) == "logout shop → \(Self.registered)?state=af0ifjsldkj")
    }

    /// BR-9: an audience that is unknown, disabled or holds no session of the hint's issuer and
    /// subject is never the RP, and the page does not tell which of these it is.
    @Test(
        arguments: [
            (["closed"], nil, "BR-9"),
            (["stranger"], nil, "BR-9"),
            (["ghost", "stranger"], nil, "BR-9"),
            (["ghost"], nil, "BR-9"),
            (["shop", "closed"], nil, "logout shop → \(registered)?state=af0ifjsldkj"),
            // `azp` decides: an ineligible authorized party is refused, not replaced by another audience.
            (["shop", "stranger"], "stranger", "BR-9"),
            (["shop", "stranger"], "shop", "logout shop → \(registered)?state=af0ifjsldkj"),
            (["closed"], "closed", "BR-9"),
        ] as [([String], String?, String)]
    )
    func audiencesThatMayNotEndSessions(audiences: [String], azp: String?, expected: String) {
        var hint = Self.hint
        hint.audiences = audiences
        hint.authorizedParty = azp
        #expect(Self.outcome(Self.request(), hint: hint) == expected, "\(audiences) azp \(azp ?? "-")")
        if audiences.contains("closed") && expected.hasPrefix("BR") {
            #expect(Self.outcome(Self.request(clientID: "closed"), hint: hint) == "BR-9", "client_id of a disabled RP")
        }
    }

    @Test(
        arguments: [
            ("a parameter twice", [("state", "a"), ("state", "b")], "BR-1"),
            (
                "a parameter twice, empty first",
                [("post_logout_redirect_uri", ""), ("post_logout_redirect_uri", "b")], "BR-1"
            ),
            ("a control character", [("state", "a\u{0}b")], "BR-1"),
            ("too long", [("state", String(repeating: "s", count: 8193))], "BR-1"),
        ] as [(String, [(String, String)], String)]
    )
    func refusesParameters(name: String, fields: [(String, String)], rule: String) {
        do {
            _ = try EndSessionRequest.parse(fields.map { (name: $0.0, value: $0.1) })
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name)")
        }
    }

    @Test func parsesKnownParametersAndIgnoresOthers() throws {
        let parsed = try EndSessionRequest.parse([
            (name: "id_token_hint", value: "h"), (name: "post_logout_redirect_uri", value: Self.registered),
            (name: "state", value: ""), (name: "ui_locales", value: "fr"), (name: "extension", value: "x"),
            (name: "client_id", value: "shop"), (name: "logout_hint", value: "u@example"),
        ])
        #expect(
            parsed
                == EndSessionRequest(
                    idTokenHint: "h",
                    postLogoutRedirectURI: Self.registered,
                    state: nil,
                    clientID: "shop",
                    logoutHint: "u@example",
                    uiLocales: "fr"
                ),
            "an empty state counts as absent"
        )
    }

    @Test(
        arguments: [
            ("fr-FR en", nil, PageLanguage.fr),
            ("de en-GB", nil, .en),
            (nil, "de, fr;q=0.8, en;q=0.5", .fr),
            (nil, "en-US,en;q=0.9,fr;q=0.8", .en),
            (nil, "fr;q=0", .en),
            ("de", "fr-CA", .fr),
            (nil, nil, .en),
        ] as [(String?, String?, PageLanguage)]
    )
    func pageLanguage(uiLocales: String?, acceptLanguage: String?, expected: PageLanguage) {
        #expect(PageLanguage.choose(uiLocales: uiLocales, acceptLanguage: acceptLanguage) == expected)
    }
}
