import HTTPTypes
import Hummingbird
import Instrumentation
import LogoutCore
import Tracing

/// The server span of a public request (`tracing:`), continuing the caller's `traceparent`.
///
/// Ours rather than Hummingbird's `TracingMiddleware`, which records the query string: the
/// query of `/end-session` holds an `id_token_hint`, and no token may reach a trace. Only the
/// method, the route's pattern and the status are recorded, and a thrown error by its type (its
/// description is not ours to export). Health checks and published documents get no span: a
/// probe every few seconds would bury the logouts.
struct ServerSpanMiddleware: RouterMiddleware {
    typealias Context = LogoutRequestContext

    static let untracedPrefixes = ["/healthz", "/readyz", "/.well-known/", "/end-session/style.css"]
    static let traceparent = HTTPField.Name("traceparent")!
    static let tracestate = HTTPField.Name("tracestate")!

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let path = request.uri.path
        guard !Self.untracedPrefixes.contains(where: { path.hasPrefix($0) }) else {
            return try await next(request, context)
        }
        var parent = ServiceContext.current ?? .topLevel
        // Only a checked `traceparent` reaches the tracer: swift-otel logs the whole carrier of
        // one it cannot read, and a request's headers hold credentials and cookies.
        if let header = request.headers[Self.traceparent],
            let context = TraceContext(traceparent: header, tracestate: request.headers[Self.tracestate])
        {
            let carrier = Dictionary(context.headers, uniquingKeysWith: { first, _ in first })
            InstrumentationSystem.instrument.extract(carrier, into: &parent, using: TraceHeaders())
        }
        let method = request.method.rawValue
        let span = startSpan(method, context: parent, ofKind: .server)
        defer { span.end() }
        span.attributes["http.request.method"] = method
        do {
            let response = try await ServiceContext.$current.withValue(span.context) {
                try await next(request, context)
            }
            if let route = context.endpointPath {
                span.operationName = "\(method) \(route)"
                span.attributes["http.route"] = route
            }
            span.attributes["http.response.status_code"] = Int(response.status.code)
            if response.status.code >= 500 { span.setStatus(SpanStatus(code: .error)) }
            return response
        } catch {
            span.setStatus(SpanStatus(code: .error, message: String(describing: type(of: error))))
            throw error
        }
    }
}

/// Reads the checked W3C trace headers.
struct TraceHeaders: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }
}
