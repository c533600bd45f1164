import HTTPTypes
import Hummingbird
import LogoutCore
import Mustache
import NIOCore

/// `GET|POST /end-session` on the public listener (RP-Initiated Logout 1.0 §2, contract C6): the
/// browser arrives from an application, and leaves with a `303` to the application's registered
/// page or with a page of ours. Pages are server-rendered, script-free, escaped, never cached,
/// and may not be framed.
public struct EndSessionPages: Sendable {
    let handler: any EndSessionHandling
    let templates: MustacheLibrary

    /// Larger forms are refused unread: an ID token and a URI fit in far less.
    static let maximumBodyBytes = 16 * 1024

    public init(handler: any EndSessionHandling) throws {
        self.handler = handler
        var library = MustacheLibrary()
        try library.register(Self.page, named: "page")
        templates = library
    }

    public func register(on router: Router<LogoutRequestContext>) {
        router.get("/end-session/style.css") { _, _ in
            var headers = Self.headers
            headers[.contentType] = "text/css; charset=utf-8"
            headers[.cacheControl] = "public, max-age=3600"
            return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: Self.styleSheet)))
        }
        router.get("/end-session") { request, context in
            let language = Self.language(request, uiLocales: nil)
            guard let form = FormBody(Array((request.uri.query ?? "").utf8)) else {
                return refuse(TokenRejection("BR-1", "the query is not valid URL encoding"), request, context, language)
            }
            return await handle(form.fields, request, context)
        }
        router.get("/end-session/callback") { request, context in
            let fallback = Self.language(request, uiLocales: nil)
            let (answer, language) = await handler.callback(
                query: request.uri.query,
                browser: Self.browser(request, context)
            )
            return respond(answer, language ?? fallback)
        }
        router.post("/end-session") { request, context in
            let language = Self.language(request, uiLocales: nil)
            guard let contentType = request.headers[.contentType], PublicRoutes.isFormEncoded(contentType) else {
                return refuse(
                    TokenRejection("BR-1", "the form must be application/x-www-form-urlencoded"),
                    request,
                    context,
                    language
                )
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: Self.maximumBodyBytes)
            } catch {
                return refuse(TokenRejection("BR-1", "the form is larger than 16 KiB"), request, context, language)
            }
            guard let form = FormBody(Array(body.readableBytesView)) else {
                return refuse(TokenRejection("BR-1", "the form is not valid URL encoding"), request, context, language)
            }
            return await handle(form.fields, request, context)
        }
    }

    func handle(
        _ fields: [(name: String, value: String)],
        _ request: Request,
        _ context: LogoutRequestContext
    ) async -> Response {
        let parsed: EndSessionRequest
        do {
            parsed = try EndSessionRequest.parse(fields)
        } catch {
            return refuse(error, request, context, Self.language(request, uiLocales: nil))
        }
        let language = Self.language(request, uiLocales: parsed.uiLocales)
        let answer = await handler.endSession(parsed, language: language, browser: Self.browser(request, context))
        return respond(answer, language)
    }

    func refuse(
        _ why: TokenRejection,
        _ request: Request,
        _ context: LogoutRequestContext,
        _ language: PageLanguage
    ) -> Response {
        page(handler.refuse(why, browser: Self.browser(request, context)), language)
    }

    /// The answer as a redirect or a page, with the cookie it sets or spends.
    func respond(_ answer: EndSessionAnswer, _ language: PageLanguage) -> Response {
        var response: Response
        if case .redirect(let location) = answer.outcome {
            response = Self.redirect(to: location)
        } else {
            response = page(answer.outcome, language)
        }
        if let binding = answer.binding { response.headers.append(HTTPField(name: .setCookie, value: binding.header)) }
        if let spent = answer.spent { response.headers.append(HTTPField(name: .setCookie, value: spent.clearing)) }
        return response
    }

    static func browser(_ request: Request, _ context: LogoutRequestContext) -> BrowserRequest {
        BrowserRequest(
            clientAddress: context.clientAddress,
            budgetKey: context.budgetKey,
            cookies: request.headers[values: .cookie]
        )
    }

    static func redirect(to location: String) -> Response {
        var headers = Self.headers
        headers[.location] = location
        return Response(status: .seeOther, headers: headers)
    }

    /// A page of ours: refusals take their status and headers from `HTTPRefusal`, the mapping
    /// the public endpoint's JSON answers use, and their words from the page's texts.
    func page(_ outcome: EndSessionOutcome, _ language: PageLanguage) -> Response {
        let texts = EndSessionTexts.of(language)
        var headers = Self.headers
        var view: [String: Any] = ["lang": language.rawValue]
        var refusal: HTTPRefusal?
        switch outcome {
        case .signedOut(let ended):
            view["title"] = texts.signedOutTitle
            view["message"] = ended ? texts.signedOut : texts.signedOutNothing
        case .refused(let why):
            refusal = .rejected(why)
            view["title"] = texts.refusedTitle
            view["message"] = texts.refused
            view["detailLabel"] = texts.detail
            view["detail"] = "\(why.rule): \(why.description)"
        case .rateLimited(let retryAfter):
            refusal = HTTPRefusal(
                .tooManyRequests(retryAfter: retryAfter),
                "too many refused requests from this address"
            )
            view["title"] = texts.rateLimitedTitle
            view["message"] = texts.rateLimited
        case .unavailable(let reason, let retryAfter):
            refusal = HTTPRefusal(.unavailable(retryAfter: retryAfter), code: "temporarily_unavailable", reason)
            view["title"] = texts.unavailableTitle
            view["message"] = texts.unavailable
        case .frontChannel(let frames, let next):
            // BR-7: the RPs' pages load in hidden frames; only their origins may be framed. The
            // page moves on by itself after a moment (no script: a meta refresh) or by the link.
            view["title"] = next == nil ? texts.signedOutTitle : texts.signingOutTitle
            view["message"] = next == nil ? texts.signedOut : texts.signingOut
            view["frames"] = frames
            if let next {
                view["next"] = next
                view["continue"] = texts.continueLabel
            }
            let origins = FrontChannelPlan.origins(frames)
            headers[.contentSecurityPolicy] =
                "default-src 'none'; style-src 'self'; frame-src \(origins.isEmpty ? "'none'" : origins.joined(separator: " ")); form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
        case .redirect:
            preconditionFailure("a redirect has no page")
        }
        let text = templates.render(view, withTemplate: "page") ?? ""
        if let refusal { return refusal.response(html: text, headers: headers) }
        headers[.contentType] = "text/html; charset=utf-8"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static func language(_ request: Request, uiLocales: String?) -> PageLanguage {
        PageLanguage.choose(uiLocales: uiLocales, acceptLanguage: request.headers[.acceptLanguage])
    }

    static let headers: HTTPFields = [
        .cacheControl: "no-store",
        .contentSecurityPolicy:
            "default-src 'none'; style-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'",
        .xContentTypeOptions: "nosniff",
        .init("Referrer-Policy")!: "no-referrer",
        .init("X-Frame-Options")!: "DENY",
    ]

    static let page = """
        <!doctype html>
        <html lang="{{lang}}">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>{{title}}</title>
        {{#next}}<meta http-equiv="refresh" content="3;url={{next}}">{{/next}}
        <link rel="stylesheet" href="/end-session/style.css">
        </head>
        <body>
        <main>
          <h1>{{title}}</h1>
          <p>{{message}}</p>
          {{#detail}}<p class="detail">{{detailLabel}} <code>{{detail}}</code></p>{{/detail}}
          {{#frames}}<iframe class="frontchannel" src="{{.}}" title="logout" hidden></iframe>{{/frames}}
          {{#next}}<p><a class="continue" href="{{next}}">{{continue}}</a></p>{{/next}}
        </main>
        </body>
        </html>
        """

    static let styleSheet = """
        body { margin: 0; background: #f4f6fa; color: #1d2430; font: 16px/1.5 system-ui, sans-serif; }
        main { max-width: 34rem; margin: 12vh auto; background: #fff; border: 1px solid #dde3ec;
          border-radius: 10px; padding: 2rem 2.25rem; }
        h1 { font-size: 1.4rem; margin: 0 0 .75rem; }
        p { margin: .5rem 0; }
        .detail { color: #5b6576; font-size: .85rem; }
        a.continue { display: inline-block; margin-top: .5rem; color: #2f5fb3; }
        code { background: #f0f2f6; padding: 0 .25rem; border-radius: 4px; word-break: break-word; }
        """
}
