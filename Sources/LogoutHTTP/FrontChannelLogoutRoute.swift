import HTTPTypes
import Hummingbird
import LogoutCore
import NIOCore

/// `GET /frontchannel-logout/{name}` (contract, OIDC Front-Channel Logout 1.0 §2–4): an OP's
/// logout page loads it in a hidden iframe with `iss` and `sid`. The answer is a page the iframe
/// shows: script-free, never cached (§4), framable by the OP's origins only (FC-4). Its status
/// says what happened, for whoever looks; the OP reads none of it.
public enum FrontChannelLogoutRoute {
    public static func register(on router: Router<LogoutRequestContext>, _ intake: any FrontChannelIntake) {
        let path = RouterPath("/frontchannel-logout/{name}")
        router.get(path) { request, context in
            let answer = await intake.receive(
                frontChannel: InboundFrontChannel(
                    issuerName: context.parameters.get("name") ?? "",
                    query: request.uri.query,
                    clientAddress: context.clientAddress,
                    budgetKey: context.budgetKey
                )
            )
            return response(answer)
        }
        for method: HTTPRequest.Method in [.post, .put, .delete, .patch, .options] {
            router.on(path, method: method) { _, _ -> Response in
                throw HTTPRefusal(.methodNotAllowed(allow: "GET"), "method not allowed; use GET")
            }
        }
    }

    static func response(_ answer: FrontChannelAnswer) -> Response {
        var headers: HTTPFields = [
            .cacheControl: "no-cache, no-store",
            .init("Pragma")!: "no-cache",
            .xContentTypeOptions: "nosniff",
            .init("Referrer-Policy")!: "no-referrer",
        ]
        let ancestors = answer.frameAncestors.isEmpty ? "'none'" : answer.frameAncestors.joined(separator: " ")
        headers[.contentSecurityPolicy] =
            "default-src 'none'; form-action 'none'; base-uri 'none'; frame-ancestors \(ancestors)"
        // X-Frame-Options cannot name an origin any browser still honours: it is only sent to
        // forbid framing, and the CSP decides otherwise.
        if answer.frameAncestors.isEmpty { headers[.init("X-Frame-Options")!] = "DENY" }
        let refusal: HTTPRefusal
        switch answer.outcome {
        case .signedOut:
            headers[.contentType] = "text/html; charset=utf-8"
            return Response(
                status: .ok,
                headers: headers,
                body: .init(byteBuffer: ByteBuffer(string: page("Signed out", detail: nil)))
            )
        case .rejected(let why) where why.rule == "FC-1":
            refusal = HTTPRefusal(.notFound, "no front-channel logout is taken for this issuer name")
        case .rejected(let why):
            refusal = .rejected(why)
        case .rateLimited(let retryAfter):
            refusal = HTTPRefusal(
                .tooManyRequests(retryAfter: retryAfter),
                "too many refused requests from this address"
            )
        case .unavailable(let reason, let retryAfter):
            refusal = HTTPRefusal(.unavailable(retryAfter: retryAfter), code: "temporarily_unavailable", reason)
        }
        return refusal.response(html: page("Not signed out", detail: refusal.description), headers: headers)
    }

    /// Our words only (a refusal's reason never quotes the request), escaped all the same.
    static func page(_ title: String, detail: String?) -> String {
        let escaped = (detail ?? "").replacing("&", with: "&amp;").replacing("<", with: "&lt;")
            .replacing(">", with: "&gt;")
        return """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><title>\(title)</title></head>
            <body><p>\(title)</p>\(detail == nil ? "" : "<p>" + escaped + "</p>")</body></html>
            """
    }
}
