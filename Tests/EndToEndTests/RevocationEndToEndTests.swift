import Foundation
import LogoutCore
import LogoutJWT
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// The whole browser logout chain on the real binary, as issue 10 asks: a back-channel RP that
/// verifies its token, a front-channel RP whose iframe the "browser" loads, the upstream IdP's
/// end-session and back, and RFC 7009 revocation of the session's refresh and access tokens with
/// `client_secret_basic` (BR-1 to BR-8).
@Suite(.serialized) struct RevocationEndToEndTests {
    static let clientSecret = "s3cret:with/odd chars"
    static let refreshToken = "rt-Zm9vYmFy.refresh+token/1"
    static let accessToken = "at-eyJhbGciOi.access"

    /// A mock IdP: `/logout` sends the browser back with our state; `/revoke` checks client
    /// authentication (401 `invalid_client` otherwise) and answers 503 to its first call, so the
    /// retry rule is part of the chain.
    static func idp() async throws -> TestServer {
        let expected =
            "Basic "
            + Data((FormEncoding.encode("logoutd-at-idp") + ":" + FormEncoding.encode(clientSecret)).utf8)
            .base64EncodedString()
        let revokeCalls = RevokeCounter()
        return try await TestServer.start { _, request in
            if request.path == "/revoke" {
                guard request.authorization == expected else {
                    return .json(
                        #"{"error":"invalid_client","error_description":"bad client credentials"}"#,
                        status: 401
                    )
                }
                if revokeCalls.next() == 0 { return Behavior(status: 503, headers: [("Retry-After", "0")]) }
                return .ok
            }
            let form = FormBody(Array((request.query ?? "").utf8))
            let back = form?.values(named: "post_logout_redirect_uri").first ?? ""
            let state = form?.values(named: "state").first ?? ""
            return Behavior(status: 303, headers: [("Location", back + "?state=" + FormEncoding.encode(state))])
        }
    }

    @Test(arguments: StoreKind.allCases)
    func theChainEndsOnTheRPsPageAndRevokesRefreshThenAccessToken(kind: StoreKind) async throws {
        let shop = try await TestServer.start()
        let wiki = try await TestServer.start()
        let idp = try await Self.idp()
        let database = kind == .postgres ? try await TestPostgres.freshDatabase() : nil
        let daemon = try DaemonProcess(delivery: ["backoff_initial: \"100ms\""], database: database, busyTimeout: "10s")
        try await daemon.start()
        let issuer = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([EndSessionEndToEndTests.idpKey]),
                "end_session_endpoint": .string(idp.url + "/logout"),
                "revocation_endpoint": .string(idp.url + "/revoke"), "client_id": "logoutd-at-idp",
                "client_secret": .string(Self.clientSecret),
            ]
        )
        #expect(issuer.status == .created, "\(issuer.body)")
        #expect(!issuer.body.contains(Self.clientSecret))
        for body: JSONValue in [
            [
                "client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl"),
                "post_logout_redirect_uris": [.string(EndSessionEndToEndTests.signedOut)],
            ],
            [
                "client_id": "wiki", "backchannel_logout_uri": .string(wiki.url + "/bcl"),
                "frontchannel_logout_uri": .string(wiki.url + "/fc"), "frontchannel_logout_session_required": true,
            ],
        ] {
            let answer = try await daemon.admin(.POST, "/admin/v1/rps", body)
            #expect(answer.status == .created, "\(answer.body)")
        }
        let session = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            [
                "issuer": "idp", "sub": "u", "sid": "op-session", "client_id": "shop",
                "refresh_token": .string(Self.refreshToken), "access_token": .string(Self.accessToken),
                "id_token": .string(try EndSessionEndToEndTests.idToken()),
            ]
        )
        #expect(session.status == .created && !session.body.contains(Self.accessToken), "\(session.body)")
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "u", "sid": "op-session", "client_id": "wiki", "rp_sid": "wiki-s"]
        )
        let listed = try await daemon.admin(.GET, "/admin/v1/sessions?client_id=shop").body
        #expect(!listed.contains(Self.refreshToken) && !listed.contains(Self.accessToken))

        // The browser: /end-session, the interstitial with the front-channel iframe, the IdP, back.
        let page = try await AdminPageEndToEndTests.send(
            daemon.publicURL + "/end-session?"
                + EndSessionEndToEndTests.query([
                    ("id_token_hint", try EndSessionEndToEndTests.idToken()),
                    ("post_logout_redirect_uri", EndSessionEndToEndTests.signedOut), ("state", "xyz"),
                ])
        )
        #expect(page.status == .ok, "\(page.body)")
        // The interstitial sets the cookie that binds the upstream detour to this browser (BR-9).
        let cookie = String(try #require(page.headers.first(name: "Set-Cookie")).prefix { $0 != ";" })
        let frame = try #require(Self.attribute("src", ofTag: "<iframe", in: page.body))
        #expect(frame.hasPrefix(wiki.url + "/fc?"))
        _ = try await AdminPageEndToEndTests.send(frame)
        let continueLink = try #require(Self.attribute("href", ofTag: #"<a class="continue""#, in: page.body))
        #expect(continueLink.hasPrefix(idp.url + "/logout?"), "\(continueLink)")
        let atIdP = try await AdminPageEndToEndTests.send(continueLink)
        let callback = try #require(atIdP.headers.first(name: "Location"))
        let back = try await AdminPageEndToEndTests.send(callback, headers: [("Cookie", cookie)])
        #expect(back.status == .seeOther)
        #expect(back.headers.first(name: "Location") == EndSessionEndToEndTests.signedOut + "?state=xyz")

        // The front-channel RP was loaded with iss and its sid; the back-channel RP got a token
        // that verifies with our published keys.
        let fc = try #require(wiki.received.first { $0.path == "/fc" })
        let fcQuery = try #require(FormBody(Array((fc.query ?? "").utf8)))
        #expect(fcQuery.values(named: "iss") == [daemon.publicURL] && fcQuery.values(named: "sid") == ["wiki-s"])
        #expect(await eventually { shop.received.contains { $0.path == "/bcl" } })
        let token = try #require(shop.received.first { $0.path == "/bcl" }?.formValue("logout_token"))
        let keys = try JWKSet.parse(Array(try await daemon.get(daemon.publicURL + "/.well-known/jwks.json").body.utf8))
        #expect(try KeyRotationEndToEndTests.verify(token, with: keys))
        #expect(try CompactJWS.parse(token).payload["aud"] == "shop")

        // Revocation: 503 first (retried), then the refresh token, then the access token.
        #expect(await eventually(timeout: 10) { idp.received.filter { $0.path == "/revoke" }.count >= 3 })
        let calls = idp.received.filter { $0.path == "/revoke" }
        #expect(calls.map { $0.formValue("token_type_hint") } == ["refresh_token", "refresh_token", "access_token"])
        #expect(calls.map { $0.formValue("token") } == [Self.refreshToken, Self.refreshToken, Self.accessToken])
        #expect(calls.allSatisfy { $0.contentType == "application/x-www-form-urlencoded" })
        let revocations = try #require(
            await waitForRevocations(daemon) { list in list.allSatisfy { $0["status"] == "revoked" } }
        )
        #expect(revocations.count == 2)
        #expect(revocations.allSatisfy { $0["token_stored"] == false && $0["session_id"] != nil })
        let refresh = try #require(revocations.first { $0["token_type_hint"] == "refresh_token" })
        #expect(refresh["attempts"] == 2)
        let retry = try await daemon.admin(.POST, "/admin/v1/revocations/\(Int(refresh["id"]?.numberValue ?? 0))/retry")
        #expect(retry.status == .conflict)
        // The delivery log page lists them under their event.
        let logPage = try await AdminPageEndToEndTests.send(
            daemon.adminURL + "/admin/",
            headers: [("Authorization", "Bearer " + daemon.adminToken)]
        )
        #expect(logPage.body.contains("<code>refresh_token</code> of session"), "\(logPage.body)")
        #expect(logPage.body.components(separatedBy: #"<span class="badge ok">revoked</span>"#).count == 3)
        await daemon.stop()
        let log = daemon.log
        #expect(!log.contains(Self.refreshToken) && !log.contains(Self.accessToken) && !log.contains(Self.clientSecret))
        #expect(log.contains("upstream tokens revoked"), "the summary, written at the stop at the latest (ADM-4)")
        for server in [shop, wiki, idp] { await server.stop() }
    }

    /// A wrong client secret: the IdP's 401 `invalid_client` fails the revocation with its
    /// reason (no retries, it would not change by itself), the token kept for a retry after a fix,
    /// and the CLI shows it.
    @Test(arguments: StoreKind.allCases)
    func aRefusedRevocationFailsWithTheIdPsReason(kind: StoreKind) async throws {
        let idp = try await Self.idp()
        let shop = try await TestServer.start()
        let database = kind == .postgres ? try await TestPostgres.freshDatabase() : nil
        let daemon = try DaemonProcess(delivery: ["backoff_initial: \"100ms\""], database: database, busyTimeout: "10s")
        try await daemon.start()
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([EndSessionEndToEndTests.idpKey]),
                "revocation_endpoint": .string(idp.url + "/revoke"), "client_id": "logoutd-at-idp",
                "client_secret": "not-the-secret",
            ]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "shop", "backchannel_logout_uri": .string(shop.url + "/bcl")]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "idp", "sub": "u", "client_id": "shop", "access_token": .string(Self.accessToken)]
        )
        let logout = try await daemon.admin(.POST, "/admin/v1/logout", ["issuer": "idp", "sub": "u"])
        #expect(logout.status == .accepted)
        let failed = try #require(await waitForRevocations(daemon) { $0.first?["status"] == "failed" })
        #expect(failed.count == 1 && failed.first?["attempts"] == 1)
        #expect(failed.first?["reason"]?.stringValue == "HTTP 401: invalid_client: bad client credentials")
        #expect(failed.first?["token_stored"] == true)
        let config = ["--config", daemon.configPath]
        var run = try await CLITests.run(["revocations", "list", "--status", "failed"] + config)
        #expect(run.status == 0 && run.output.contains("invalid_client"), "\(run.output) \(run.errors)")

        // The fix: the right secret in place (the session and its queued revocation stay), then a retry.
        let secretFile = daemon.folder.file("idp.secret")
        try Self.clientSecret.write(toFile: secretFile, atomically: true, encoding: .utf8)
        run = try await CLITests.run(["issuers", "update", "idp", "--client-secret-file", secretFile] + config)
        #expect(run.status == 0, "\(run.output) \(run.errors)")
        let id = Int(failed.first?["id"]?.numberValue ?? 0)
        run = try await CLITests.run(["revocations", "retry", String(id)] + config)
        #expect(run.status == 0, "\(run.output) \(run.errors)")
        // The mock IdP answers its first authenticated call 503, so this is attempt 2 after the retry.
        let revoked = try #require(await waitForRevocations(daemon) { $0.first?["status"] == "revoked" })
        #expect(revoked.first?["token_stored"] == false && revoked.first?["attempts"] == 2)
        #expect(idp.received.last?.formValue("token") == Self.accessToken)
        await daemon.stop()
        await idp.stop()
        await shop.stop()
    }

    func waitForRevocations(_ daemon: DaemonProcess, until done: @escaping ([JSONValue]) -> Bool) async -> [JSONValue]?
    {
        var last: [JSONValue]?
        let reached = await eventually(timeout: 10) {
            last = try? await daemon.admin(.GET, "/admin/v1/revocations").json["revocations"]?.arrayValue
            return last.map { !$0.isEmpty && done($0) } ?? false
        }
        return reached ? last : nil
    }

    /// The value of `name` in the first tag that starts with `tag`, HTML entities undone.
    static func attribute(_ name: String, ofTag tag: String, in html: String) -> String? {
        guard let start = html.range(of: tag) else { return nil }
        let rest = html[start.upperBound...]
        guard let open = rest.range(of: name + "=\"") else { return nil }
        let value = rest[open.upperBound...].prefix { $0 != "\"" }
        return value.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#x2F;", with: "/")
    }
}

final class RevokeCounter: Sendable {
    private let count = Mutex(0)
    func next() -> Int {
        count.withLock { value in
            defer { value += 1 }
            return value
        }
    }
}
