import AsyncHTTPClient
import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1
import TestSupport
import Testing

/// The delivery log page (`/admin/`) as a browser meets it: sign-in, the session cookie, the
/// strict CSP, escaping, filters, and the retry form's CSRF and same-site checks.
@Suite(.serialized) struct AdminPageEndToEndTests {
    static let browser = HTTPClient(configuration: .init(redirectConfiguration: .disallow))

    struct Page {
        let status: HTTPResponseStatus
        let headers: HTTPHeaders
        let body: String
    }

    static func send(
        _ url: String,
        method: HTTPMethod = .GET,
        headers: [(String, String)] = [],
        form: [(String, String)]? = nil
    ) async throws -> Page {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
            let body = form.map { "\($0)=\($1.addingPercentEncoding(withAllowedCharacters: allowed) ?? "")" }
            request.body = .bytes(ByteBuffer(string: body.joined(separator: "&")))
        }
        let response = try await browser.execute(request, timeout: .seconds(10))
        return Page(
            status: response.status,
            headers: response.headers,
            body: String(buffer: try await response.body.collect(upTo: 4 << 20))
        )
    }

    static func csrf(_ html: String) -> String? {
        guard let range = html.range(of: #"name="csrf" value=""#) else { return nil }
        return String(html[range.upperBound...].prefix { $0 != "\"" })
    }

    @Test func signInFilterAndRetryFromTheBrowser() async throws {
        let ok = try await TestServer.start()
        let refusing = try await TestServer.start { _, _ in Behavior(status: 400) }
        let daemon = try DaemonProcess()
        try await daemon.start()
        let admin = daemon.adminURL
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            [
                "name": "idp", "issuer": "https://idp.example", "audience": "logoutd",
                "jwks": try TokenForge.jwks([TokenForge.newES256()]),
            ]
        )
        for (id, server) in [("shop", ok), ("billing", refusing)] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl")]
            )
        }
        let hostile = "<script>alert(1)</script>"
        for rp in ["shop", "billing"] {
            _ = try await daemon.admin(
                .POST,
                "/admin/v1/sessions",
                ["issuer": "idp", "sub": .string(hostile), "client_id": .string(rp)]
            )
        }
        _ = try await daemon.admin(.POST, "/admin/v1/logout", ["issuer": "idp", "sub": .string(hostile)])
        #expect(await eventually { ok.received.count == 1 && refusing.received.count == 1 })

        // Not signed in: to the sign-in form; a wrong token is refused there.
        var page = try await Self.send(admin + "/admin/")
        #expect(page.status == .seeOther && page.headers.first(name: "Location") == "/admin/login")
        page = try await Self.send(admin + "/admin/login", method: .POST, form: [("token", "wrong")])
        #expect(page.status == .unauthorized && page.body.contains("That is not the admin token."))
        page = try await Self.send(admin + "/admin/login", method: .POST, form: [("token", daemon.adminToken)])
        #expect(page.status == .seeOther)
        let setCookie = try #require(page.headers.first(name: "Set-Cookie"))
        #expect(
            setCookie.contains("HttpOnly") && setCookie.contains("SameSite=Strict") && setCookie.contains("Path=/admin")
        )
        #expect(!setCookie.contains(daemon.adminToken), "the cookie is a session id, not the token")
        let cookie = ("Cookie", String(setCookie.prefix { $0 != ";" }))

        // The page: strict CSP, no script of any kind, the hostile subject escaped.
        page = try await Self.send(admin + "/admin/", headers: [cookie])
        #expect(page.status == .ok)
        #expect(
            page.headers.first(name: "Content-Security-Policy")?.hasPrefix("default-src 'none'; style-src 'self';")
                == true
        )
        #expect(!page.body.lowercased().contains("<script"))
        #expect(page.body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
        #expect(page.body.contains(#"<span class="badge ok">delivered</span>"#))
        #expect(page.body.contains(#"<span class="badge bad">failed</span>"#))
        #expect(page.body.contains("<rect class=\"delivered\""), "the chart has the delivery of this minute")
        #expect(page.body.contains("Attempt history of delivery"))

        // A filter shows only what matches.
        page = try await Self.send(admin + "/admin/?status=failed", headers: [cookie])
        #expect(page.body.contains("badge bad") && !page.body.contains(#"<span class="badge ok">delivered</span>"#))
        #expect(page.body.contains("1 more deliveries of this event do not match the filter"))

        // Retry: refused without the form's CSRF token, or from another site; done with both.
        let failed = try await daemon.admin(.GET, "/admin/v1/deliveries?status=failed").json["deliveries"]?.arrayValue
        let id = try #require(failed?.first?["id"]?.numberValue).formatted(.number.grouping(.never))
        let csrf = try #require(Self.csrf(page.body))
        let retry = admin + "/admin/deliveries/\(id)/retry"
        page = try await Self.send(retry, method: .POST, headers: [cookie], form: [("csrf", "forged")])
        #expect(page.status == .forbidden)
        page = try await Self.send(
            retry,
            method: .POST,
            headers: [cookie, ("Sec-Fetch-Site", "cross-site")],
            form: [("csrf", csrf)]
        )
        #expect(page.status == .forbidden)
        page = try await Self.send(
            retry,
            method: .POST,
            headers: [cookie, ("Origin", "http://evil.example")],
            form: [("csrf", csrf)]
        )
        #expect(page.status == .forbidden)
        #expect(refusing.received.count == 1, "a refused form queued nothing")
        page = try await Self.send(
            retry,
            method: .POST,
            // What Chromium sends for this page's own form under a strict referrer policy.
            headers: [cookie, ("Sec-Fetch-Site", "same-origin"), ("Origin", "null")],
            form: [("csrf", csrf), ("back", "?status=failed")]
        )
        #expect(page.status == .seeOther)
        #expect(page.headers.first(name: "Location") == "/admin/?status=failed&retried=\(id)")
        #expect(await eventually { refusing.received.count == 2 }, "the retry went out")

        // Sign out: the cookie no longer opens the page.
        page = try await Self.send(admin + "/admin/logout", method: .POST, headers: [cookie], form: [("csrf", csrf)])
        #expect(page.status == .seeOther && page.headers.first(name: "Set-Cookie")?.contains("Max-Age=0") == true)
        page = try await Self.send(admin + "/admin/", headers: [cookie])
        #expect(page.status == .seeOther)
        await daemon.stop()
        await ok.stop()
        await refusing.stop()
    }
}
