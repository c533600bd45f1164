import Foundation
import Hummingbird
import HummingbirdTesting
import LogoutAdminAPI
import LogoutCore
import LogoutHTTP
import NIOCore
import TestSupport
import Testing

@testable import LogoutService

/// SEC-7 through the admin listener's real router, as the daemon builds it: every route, every
/// spelling of its path, without the token; unknown paths; the media type of writes. The tests
/// whose requests reach the store run on each store; those refused before it, on SQLite.
@Suite struct AdminAuthorizationTests {
    static func describe(_ route: Router<LogoutRequestContext>.RouteDescription) -> String {
        "\(route.method) \(route.path)"
    }

    /// The table the other tests (and the end-to-end ones) walk is the router's own list: a new
    /// route without a row, or a row without a route, fails here.
    @Test func theTableListsEveryRouteOfTheAdminListener() async throws {
        try await Harness.with { harness in
            let routes = Set(harness.components.adminRouter().routes.map(Self.describe))
            let table = Set(AdminRouteTable.open + AdminRouteTable.guarded)
            #expect(routes.subtracting(table).sorted() == [], "routes missing from AdminRouteTable")
            #expect(table.subtracting(routes).sorted() == [], "rows of AdminRouteTable with no route")
        }
    }

    @Test func noSpellingOfAGuardedRouteSucceedsWithoutTheToken() async throws {
        try await Harness.with { harness in
            let app = Application(router: harness.components.adminRouter())
            try await app.test(.router) { client in
                var tried = 0
                for route in AdminRouteTable.guarded {
                    let (method, path) = AdminRouteTable.split(route)
                    for spelling in AdminRouteTable.spellings(of: path) {
                        for headers: HTTPFields in [
                            [:], [.contentType: "application/json"], [.authorization: "Bearer wrong"],
                            [.authorization: "Basic \(harness.components.adminToken)"],
                        ] {
                            let status = try await client.execute(
                                uri: spelling,
                                method: HTTPRequest.Method(method)!,
                                headers: headers,
                                body: method == "GET" ? nil : ByteBuffer(string: "{}")
                            ) { $0.status }
                            tried += 1
                            #expect(!(200..<300).contains(status.code), "\(method) \(spelling) \(headers): \(status)")
                            if AdminRouteTable.api.contains(route) {
                                #expect(status == .unauthorized, "\(method) \(spelling) \(headers): \(status)")
                            }
                        }
                    }
                }
                #expect(tried > 2000)
            }
        }
    }

    /// The spellings the router resolves to a route reach its handler with the token, which is
    /// what makes the table above a test of the check and not of the router refusing them.
    @Test(arguments: StoreKind.allCases)
    func theSpellingsTheRouterResolvesReachTheHandlerWithTheToken(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            let app = Application(router: harness.components.adminRouter())
            let bearer: HTTPFields = [.authorization: "Bearer \(harness.components.adminToken)"]
            try await app.test(.router) { client in
                for spelling in ["/admin/v1/issuers", "//admin/v1/issuers", "/admin//v1/issuers", "/admin/v1/issuers/"]
                {
                    let status = try await client.execute(uri: spelling, method: .get, headers: bearer) { $0.status }
                    #expect(status == .ok, "\(spelling)")
                    let refused = try await client.execute(uri: spelling, method: .get) { $0.status }
                    #expect(refused == .unauthorized, "\(spelling)")
                }
            }
        }
    }

    @Test func unknownPathsAnswer404OnlyAfterTheTokenCheck() async throws {
        try await Harness.with { harness in
            let app = Application(router: harness.components.adminRouter())
            let bearer: HTTPFields = [.authorization: "Bearer \(harness.components.adminToken)"]
            try await app.test(.router) { client in
                for route in AdminRouteTable.unknown {
                    let (name, path) = AdminRouteTable.split(route)
                    let method = HTTPRequest.Method(name)!
                    let anonymous = try await client.execute(uri: path, method: method) { $0.status }
                    #expect(anonymous == .unauthorized, "\(route)")
                    let known = try await client.execute(uri: path, method: method, headers: bearer) { $0.status }
                    #expect(known == .notFound, "\(route)")
                }
            }
        }
    }

    @Test func openRoutesNeedNoToken() async throws {
        try await Harness.with { harness in
            let app = Application(router: harness.components.adminRouter())
            try await app.test(.router) { client in
                for route in ["GET /healthz", "GET /admin/login", "GET /admin/assets/logoutd.css"] {
                    let (method, path) = AdminRouteTable.split(route)
                    let status = try await client.execute(uri: path, method: HTTPRequest.Method(method)!) { $0.status }
                    #expect(status == .ok, "\(route)")
                }
            }
        }
    }

    /// A page on another site can post `text/plain` or a form without a preflight; JSON it
    /// cannot. Writes with a body in any other type are `415`, checked after the token.
    @Test(arguments: StoreKind.allCases)
    func adminWritesWithABodyMustBeJSON(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            let app = Application(router: harness.components.adminRouter())
            let token = "Bearer \(harness.components.adminToken)"
            let issuer =
                #"{"name":"csrf","issuer":"https://csrf.example","audience":"logoutd","shared_secret":"a-secret-of-at-least-thirty-two-bytes!!"}"#
            try await app.test(.router) { client in
                for (method, path) in [
                    (HTTPRequest.Method.post, "/admin/v1/issuers"), (.patch, "/admin/v1/issuers/csrf"),
                    (.post, "/admin/v1/rps"), (.post, "/admin/v1/logout"), (.post, "/admin/v1/keys/rotate"),
                    (.delete, "/admin/v1/issuers/csrf"), (.post, "/admin/v1/deliveries/1/retry"),
                ] {
                    for contentType in [
                        "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                        "application/jsonp", "text/json",
                    ] {
                        let status = try await client.execute(
                            uri: path,
                            method: method,
                            headers: [.authorization: token, .contentType: contentType],
                            body: ByteBuffer(string: issuer)
                        ) { $0.status }
                        #expect(status == .unsupportedMediaType, "\(method) \(path) as \(contentType)")
                        let anonymous = try await client.execute(
                            uri: path,
                            method: method,
                            headers: [.contentType: contentType],
                            body: ByteBuffer(string: issuer)
                        ) { $0.status }
                        #expect(anonymous == .unauthorized, "\(method) \(path) as \(contentType)")
                    }
                    let missing = try await client.execute(
                        uri: path,
                        method: method,
                        headers: [.authorization: token],
                        body: ByteBuffer(string: issuer)
                    ) { $0.status }
                    #expect(missing == .unsupportedMediaType, "\(method) \(path) without a type")
                }
                #expect(try await harness.admin.issuers().issuers.isEmpty, "a refused write changed the registry")
                let created = try await client.execute(
                    uri: "/admin/v1/issuers",
                    method: .post,
                    headers: [.authorization: token, .contentType: "Application/JSON; charset=utf-8"],
                    body: ByteBuffer(string: issuer)
                ) { $0.status }
                #expect(created == .created)
                // A write without a body (the retry buttons of scripts) needs no type.
                let retry = try await client.execute(
                    uri: "/admin/v1/deliveries/999/retry",
                    method: .post,
                    headers: [.authorization: token]
                ) { $0.status }
                #expect(retry == .notFound)
            }
        }
    }
}
