import Hummingbird

/// The routers' outermost middleware, and the page routes' own: whatever a route, a middleware
/// or the router throws (an unknown path, a body over the limit) is answered through
/// `HTTPRefusal`'s one mapping, as JSON for the APIs or as the page's HTML. Another error
/// goes on to Hummingbird, which answers `500` and logs it.
struct RefusalAnswers: RouterMiddleware {
    typealias Context = LogoutRequestContext

    /// Renders a refusal as a page; `nil` for an API's JSON.
    var page: (@Sendable (HTTPRefusal) -> Response)?

    init(page: (@Sendable (HTTPRefusal) -> Response)? = nil) {
        self.page = page
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            guard let refusal = HTTPRefusal(error) else { throw error }
            guard let page else { return try refusal.response(from: request, context: context) }
            return page(refusal)
        }
    }
}
