import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutCore
import NIOCore
import Testing

@testable import LogoutService

/// One mapping of refusals to answers on both listeners: an API answers in JSON and a page in
/// HTML, with the same status and headers for the same kind of refusal.
@Suite struct RefusalAnswersTests {
    static func json(_ buffer: ByteBuffer) -> [String: String]? {
        try? JSONDecoder().decode([String: String].self, from: Data(buffer.readableBytesView))
    }

    @Test func apisAnswerInJSONAndPagesInHTML() async throws {
        try await Harness.with { harness in
            let bearer: HTTPFields = [.authorization: "Bearer \(harness.components.adminToken)"]
            try await Application(router: harness.components.adminRouter()).test(.router) { client in
                // The admin API: what the operations refuse, and what the router does.
                try await client.execute(uri: "/admin/v1/rps/nobody", method: .get, headers: bearer) { response in
                    #expect(response.status == .notFound)
                    #expect(response.headers[.contentType] == "application/json")
                    #expect(Self.json(response.body)?["error"] == "not_found")
                }
                try await client.execute(uri: "/admin/v1/no-such-route", method: .get, headers: bearer) { response in
                    #expect(response.status == .notFound && Self.json(response.body)?["error"] == "not_found")
                }
                // A page: the same kind of refusal, as a page with the page's own headers.
                var crossSite = bearer
                crossSite[.init("Sec-Fetch-Site")!] = "cross-site"
                crossSite[.contentType] = "application/x-www-form-urlencoded"
                try await client.execute(
                    uri: "/admin/deliveries/1/retry",
                    method: .post,
                    headers: crossSite,
                    body: ByteBuffer(string: "csrf=x")
                ) { response in
                    #expect(response.status == .forbidden)
                    #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                    #expect(response.headers[.cacheControl] == "no-store")
                    #expect(response.headers[.contentSecurityPolicy]?.hasPrefix("default-src 'none'") == true)
                    #expect(String(buffer: response.body).contains("Cross-site form posts are refused."))
                }
            }
            try await Application(router: harness.components.publicRouter()).test(.router) { client in
                try await client.execute(uri: "/backchannel-logout", method: .get) { response in
                    #expect(response.status == .methodNotAllowed && response.headers[.allow] == "POST")
                    #expect(Self.json(response.body)?["error"] == "invalid_request")
                }
                try await client.execute(uri: "/nothing-here", method: .get) { response in
                    #expect(response.status == .notFound && Self.json(response.body)?["error"] == "not_found")
                }
            }
        }
    }
}
