import Foundation
import HTTPTypes
import Hummingbird
import LogoutAdminAPI
import LogoutCore
import Mustache
import NIOCore

/// The delivery log page on the admin listener (`GET /admin/`): server-rendered, no script.
///
/// A browser signs in with the admin token through a form and gets a session cookie (HttpOnly,
/// SameSite=Strict, a random id); every form posts its session's CSRF token, and a request another
/// site started (`Sec-Fetch-Site`, `Origin`) is refused. `curl` and tests may send the bearer
/// token instead. The Content-Security-Policy allows our style sheet and nothing else.
public struct AdminPages: Sendable {
    let operations: any AdminOperations
    /// Checks the admin token; compares in constant time (SEC-3).
    let authenticate: @Sendable (String) -> Bool
    /// Compares a form's CSRF token with its session's in constant time.
    let secretsMatch: @Sendable (String, String) -> Bool
    let sessions: PageSessions
    let now: @Sendable () -> Timestamp
    let signIns: SignInBudget
    let templates: MustacheLibrary
    /// A trace id's page in the tracing UI (`tracing.ui_url`): attempts link to their trace.
    public var traceLink: @Sendable (String) -> String? = { _ in nil }

    public init(
        operations: any AdminOperations,
        authenticate: @escaping @Sendable (String) -> Bool,
        secretsMatch: @escaping @Sendable (String, String) -> Bool,
        sessions: PageSessions,
        now: @escaping @Sendable () -> Timestamp,
        signIns: SignInBudget = .unlimited
    ) throws {
        self.operations = operations
        self.authenticate = authenticate
        self.secretsMatch = secretsMatch
        self.sessions = sessions
        self.now = now
        self.signIns = signIns
        var library = MustacheLibrary()
        try library.register(Templates.login, named: "login")
        try library.register(Templates.log, named: "log")
        try library.register(Templates.refusal, named: "refusal")
        templates = library
    }

    /// The pages' routes, on the admin listener's router: a refusal is answered with a page
    /// (status and headers from `HTTPRefusal`), not the API's JSON.
    public func register(on adminRouter: Router<LogoutRequestContext>) {
        let router = adminRouter.group().add(middleware: RefusalAnswers(page: { [self] in refusalPage($0) }))
        router.get("/admin/assets/logoutd.css") { _, _ in
            var headers = Self.securityHeaders
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "private, max-age=3600"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: Templates.styleSheet))
            )
        }
        router.get("/admin/login") { request, _ in
            if signedIn(request) != nil { return Self.redirect(to: "/admin/") }
            return html(.ok, "login", ["title": "sign in"])
        }
        router.post("/admin/login") { request, context in try await login(request, context) }
        router.post("/admin/logout") { request, _ in
            let (access, _) = try await formRequest(request)
            if case .session(let session) = access { sessions.close(session.id) }
            var response = Self.redirect(to: "/admin/login")
            response.headers[.setCookie] = Self.cookie(value: "", maxAge: 0)
            return response
        }
        router.get("/admin/") { request, _ in
            guard let access = signedIn(request) else { return Self.redirect(to: "/admin/login") }
            let query = Dictionary(request.uri.queryParameters.map { (String($0.key), String($0.value)) }) { first, _ in
                first
            }
            var notice: String?
            var error: String?
            if let id = query["retried"].flatMap({ Int64($0) }) {
                notice = "Delivery \(id) is queued again; its next attempt mints a fresh token."
            }
            if let id = query["not_retried"].flatMap({ Int64($0) }) {
                error = "Delivery \(id) was not queued again: it was delivered, or no longer exists."
            }
            if let id = query["revocation_retried"].flatMap({ Int64($0) }) {
                notice = "Revocation \(id) is queued again."
            }
            if let id = query["revocation_not_retried"].flatMap({ Int64($0) }) {
                error = "Revocation \(id) was not queued again: it succeeded, or no longer exists."
            }
            let page = DeliveryLogPage(operations: operations, traceLink: traceLink)
            let view = try await page.view(
                PageFilters(query: query),
                csrf: access.csrf,
                notice: notice,
                error: error,
                now: now()
            )
            return html(.ok, "log", view)
        }
        // Retry buttons: back to the page the form came from, with a notice of what happened
        // (`retried=ID` or `not_retried=ID`, after the prefix that names what was retried).
        for (path, notice, retry) in [
            (
                "/admin/deliveries/{id}/retry", "",
                { @Sendable id in _ = try await operations.retryDelivery(id: id) }
            ),
            (
                "/admin/revocations/{id}/retry", "revocation_",
                { @Sendable id in _ = try await operations.retryRevocation(id: id) }
            ),
        ] as [(RouterPath, String, @Sendable (Int64) async throws -> Void)] {
            router.post(path) { request, context in
                let (_, form) = try await formRequest(request)
                let id = try AdminRequestID.parse(context.parameters.get("id"))
                let filters = Self.filters(fromBack: form.values(named: "back").first ?? "")
                let back = "/admin/" + filters.queryString + (filters.queryString.isEmpty ? "?" : "&")
                do {
                    try await retry(id)
                    return Self.redirect(to: back + "\(notice)retried=\(id)")
                } catch let refusal as AdminError where refusal.kind == .conflict || refusal.kind == .notFound {
                    return Self.redirect(to: back + "\(notice)not_retried=\(id)")
                }
            }
        }
    }

    // MARK: Access

    enum Access {
        case session(PageSessions.Session)
        case bearer

        var csrf: String {
            switch self {
            case .session(let session): return session.csrf
            case .bearer: return ""
            }
        }
    }

    func signedIn(_ request: Request) -> Access? {
        if BearerAuthentication.isAuthorized(request, authenticate) { return .bearer }
        guard let id = Self.cookieValue(request.headers[values: .cookie], name: PageSessions.cookieName),
            let session = sessions.find(id, now: now())
        else { return nil }
        return .session(session)
    }

    /// A form post: from this site, signed in, and (with a cookie) carrying the session's CSRF token.
    func formRequest(_ request: Request) async throws -> (Access, FormBody) {
        try Self.refuseCrossSite(request)
        let form = try await Self.form(request)
        guard let access = signedIn(request) else {
            throw HTTPRefusal(.unauthorized(challenge: nil), "Sign in at /admin/login first.")
        }
        if case .session(let session) = access {
            let sent = form.values(named: "csrf").first ?? ""
            guard secretsMatch(sent, session.csrf) else {
                throw HTTPRefusal(.forbidden, "The form is stale or was not sent from this page; reload it.")
            }
        }
        return (access, form)
    }

    func login(_ request: Request, _ context: LogoutRequestContext) async throws -> Response {
        try Self.refuseCrossSite(request)
        let form = try await Self.form(request)
        let browser = BrowserRequest(clientAddress: context.clientAddress, budgetKey: context.budgetKey)
        // Past the address's budget no token is even compared, the right one included: an
        // answer that still told right from wrong would let guessing go on at any rate.
        if let retryAfter = signIns.spent(browser) { return tooManySignIns(retryAfter) }
        guard let token = form.values(named: "token").first, authenticate(token) else {
            if let retryAfter = signIns.charge(browser) { return tooManySignIns(retryAfter) }
            return loginPage(HTTPRefusal(.unauthorized(challenge: nil), "That is not the admin token."))
        }
        let session = sessions.open(now: now())
        var response = Self.redirect(to: "/admin/")
        response.headers[.setCookie] = Self.cookie(value: session.id, maxAge: Int(sessions.lifetime.seconds))
        return response
    }

    func tooManySignIns(_ retryAfter: Duration) -> Response {
        loginPage(
            HTTPRefusal(
                .tooManyRequests(retryAfter: retryAfter),
                "Too many failed sign-ins from this address; try again later."
            )
        )
    }

    /// The sign-in form again, saying why the last try was refused.
    func loginPage(_ refusal: HTTPRefusal) -> Response {
        let text = templates.render(["title": "sign in", "error": refusal.description], withTemplate: "login") ?? ""
        return refusal.response(html: text, headers: Self.securityHeaders)
    }

    /// Any other refusal of a page request.
    func refusalPage(_ refusal: HTTPRefusal) -> Response {
        let view = ["title": refusal.status.reasonPhrase.lowercased(), "message": refusal.description]
        return refusal.response(
            html: templates.render(view, withTemplate: "refusal") ?? "",
            headers: Self.securityHeaders
        )
    }

    // MARK: Responses

    static let securityHeaders: HTTPFields = [
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .init("Referrer-Policy")!: "same-origin",
        .init("X-Frame-Options")!: "DENY",
        .init("Cross-Origin-Opener-Policy")!: "same-origin",
    ]

    func html(_ status: HTTPResponse.Status, _ template: String, _ view: Any) -> Response {
        var headers = Self.securityHeaders
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.cacheControl] = "no-store"
        let text = templates.render(view, withTemplate: template) ?? ""
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func redirect(to location: String) -> Response {
        var headers = securityHeaders
        headers[.location] = location
        headers[.cacheControl] = "no-store"
        return Response(status: .seeOther, headers: headers)
    }

    static func cookie(value: String, maxAge: Int) -> String {
        "\(PageSessions.cookieName)=\(value); Path=/admin; HttpOnly; SameSite=Strict; Max-Age=\(maxAge)"
    }

    // MARK: Parsing

    /// A browser that sends `Sec-Fetch-Site` says where the post came from, and that answer
    /// decides: Chromium sends `Origin: null` with this page's own forms when the referrer policy
    /// withholds it (found by scripts/screenshots). Without the header, `Origin` must name us.
    static func refuseCrossSite(_ request: Request) throws {
        let refused = HTTPRefusal(.forbidden, "Cross-site form posts are refused.")
        if let site = request.headers[.init("Sec-Fetch-Site")!] {
            guard site == "same-origin" || site == "none" else { throw refused }
            return
        }
        // `Origin: http://127.0.0.1:8081` names the same authority as `Host: 127.0.0.1:8081`.
        if let origin = request.headers[.origin] {
            guard let authority = request.head.authority,
                origin.split(separator: "/").last.map(String.init) == authority
            else {
                throw refused
            }
        }
    }

    static func form(_ request: Request) async throws -> FormBody {
        let body = try await request.body.collect(upTo: 16 * 1024)
        guard let form = FormBody(Array(body.readableBytesView)) else {
            throw HTTPRefusal(.badRequest, "The form is not valid URL encoding.")
        }
        return form
    }

    static func cookieValue(_ headers: [String], name: String) -> String? {
        for header in headers {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0] == name { return String(parts[1]) }
            }
        }
        return nil
    }

    /// The filters a retry form came from, parsed again (never a free redirect target).
    static func filters(fromBack back: String) -> PageFilters {
        let query = back.hasPrefix("?") ? String(back.dropFirst()) : back
        var fields: [String: String] = [:]
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? "" }
            if parts.count == 2 { fields[parts[0]] = parts[1] }
        }
        return PageFilters(query: fields)
    }
}

enum AdminRequestID {
    static func parse(_ text: String?) throws -> Int64 {
        guard let text, let id = Int64(text), id > 0 else {
            throw HTTPRefusal(.notFound, code: "not_found", "No such id.")
        }
        return id
    }
}
