import HTTPTypes
import Hummingbird
import LogoutAdminAPI
import LogoutHTTP
import Testing

/// The one mapping of refusals to answers: the statuses and headers every listener and page
/// answers with.
@Suite struct HTTPRefusalTests {
    static let adminKinds: [AdminError.Kind] = [
        .invalidRequest, .unauthorized, .notFound, .conflict, .unprocessable, .unsupportedMediaType, .unavailable,
    ]

    /// The CLI reads an admin refusal back from its status (`AdminError(status:)`): the answer's
    /// status is the one it expects for that kind.
    @Test(arguments: adminKinds)
    func adminRefusalsAnswerWithTheStatusTheCLIReadsBack(kind: AdminError.Kind) {
        let error = AdminError(kind, "some_code", "why")
        let refusal = HTTPRefusal(error)
        #expect(Int(refusal.status.code) == error.httpStatus)
        #expect(AdminError(status: Int(refusal.status.code), code: "c", description: "d").kind == kind)
        #expect(refusal.code == "some_code" && refusal.description == "why")
    }

    @Test func headersAreTheKindsAndNeverCached() {
        #expect(HTTPRefusal(AdminError(.unauthorized, "unauthorized", "x")).headers[.wwwAuthenticate] == "Bearer")
        #expect(HTTPRefusal(AdminError(.unavailable, "busy", "x")).headers[.retryAfter] == "5")
        #expect(HTTPRefusal(.methodNotAllowed(allow: "POST"), "x").headers[.allow] == "POST")
        #expect(HTTPRefusal(.badRequest, "x").headers[.cacheControl] == "no-store")
    }

    /// `Retry-After` is whole seconds, rounded up and at least 1, whichever page or API says it.
    @Test func retryAfterIsWholeSecondsRoundedUp() {
        #expect(HTTPRefusal(.unavailable(retryAfter: .milliseconds(1500)), "x").headers[.retryAfter] == "2")
        #expect(HTTPRefusal(.tooManyRequests(retryAfter: .seconds(30)), "x").headers[.retryAfter] == "30")
        #expect(HTTPRefusal(.tooManyRequests(retryAfter: .zero), "x").headers[.retryAfter] == "1")
    }

    /// What Hummingbird throws itself goes through the same mapping; other errors are a `500`.
    @Test func otherErrorsAreMappedOrLeftAlone() {
        #expect(HTTPRefusal(HTTPError(.contentTooLarge) as any Error)?.kind == .contentTooLarge)
        #expect(HTTPRefusal(HTTPError(.notFound) as any Error)?.code == "not_found")
        #expect(HTTPRefusal(HTTPError(.internalServerError) as any Error) == nil)
        #expect(HTTPRefusal(CancellationError() as any Error) == nil)
    }

    @Test func aPageAnswersInHTMLUnderTheRefusalsStatusAndHeaders() {
        let refusal = HTTPRefusal(.tooManyRequests(retryAfter: .seconds(2)), "slow down")
        let response = refusal.response(
            html: "<p>slow down</p>",
            headers: [.contentSecurityPolicy: "default-src 'none'", .cacheControl: "max-age=60"]
        )
        #expect(response.status == .tooManyRequests)
        #expect(response.headers[.retryAfter] == "2" && response.headers[.cacheControl] == "no-store")
        #expect(response.headers[.contentSecurityPolicy] == "default-src 'none'")
        #expect(response.headers[.contentType] == "text/html; charset=utf-8")
    }
}
