import Foundation
import Hummingbird
import LogoutCore
import NIOCore

/// `POST /ssf/push/{issuer}`: a registered issuer's transmitter pushes SETs here (RFC 8935,
/// SSF-5). The answers are RFC 8935's: `202` with no body, or `400` with `{"err","description"}`;
/// `429` and `503` (with `Retry-After`) ask the transmitter to send it again later.
enum SecurityEventPushRoute {
    static let pathPrefix = "/ssf/push/"

    static func register(on router: Router<LogoutRequestContext>, _ intake: any SecurityEventIntake) {
        router.post(RouterPath(pathPrefix + "{issuer}")) { request, context in
            let issuer = context.parameters.get("issuer") ?? ""
            // The body is the compact SET itself, as large as a logout token at most (IN-1). Its
            // media type is not checked: the JOSE `typ` is what says it is a SET (SSF §4.1.1).
            if let length = request.headers[.contentLength].flatMap({ Int($0) }),
                length > PublicRoutes.maximumBodyBytes
            {
                throw PublicRoutes.tooLarge
            }
            let body: ByteBuffer
            do {
                body = try await request.body.collect(upTo: PublicRoutes.maximumBodyBytes)
            } catch {
                throw PublicRoutes.tooLarge
            }
            // A transmitter may end the body with a newline; a compact JWS holds no white space.
            let token = String(decoding: body.readableBytesView, as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            let result = await intake.receive(
                securityEvent: token,
                issuerName: issuer,
                clientAddress: context.clientAddress,
                budgetKey: context.budgetKey
            )
            switch result {
            case .accepted:
                return JSONResponse.emptyNoStore(.accepted)
            case .rejected(let rejection):
                return JSONResponse.make(.badRequest, rejection.body.json, headers: [.cacheControl: "no-store"])
            case .rateLimited(let retryAfter):
                throw HTTPRefusal(
                    .tooManyRequests(retryAfter: retryAfter),
                    "too many refused requests from this client or for this issuer; retry later"
                )
            case .unavailable(let reason, let retryAfter):
                throw HTTPRefusal(.unavailable(retryAfter: retryAfter), code: "temporarily_unavailable", reason)
            }
        }
    }
}
