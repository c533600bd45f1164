import Foundation
import Instrumentation
import LogoutCore
import Tracing

/// The spans logoutd opens, through the process's tracer (`tracing:`, swift-otel).
///
/// Off by default, and then nothing at all runs: no span, no context read or written, no header
/// sent. The intake's context is stored with its event (TRACE-1); each delivery attempt opens a
/// client span under it, however much later, and sends it as `traceparent` (TRACE-2).
public struct LogoutTracing: Sendable {
    public let enabled: Bool

    public static let off = LogoutTracing(enabled: false)

    /// On as `tracing:` says: `TracingBackend.bootstrap` has installed the tracer by then (without
    /// it, the spans are the no-op tracer's and nothing is stored or sent).
    init(enabled: Bool) {
        self.enabled = enabled
    }

    /// The current span's context as W3C headers hold it: what a logout's event keeps, and what
    /// an attempt sends.
    public func current() -> TraceContext? {
        guard enabled, let context = ServiceContext.current else { return nil }
        var headers: [String: String] = [:]
        InstrumentationSystem.instrument.inject(context, into: &headers, using: HeaderDictionary())
        return headers["traceparent"].flatMap { TraceContext(traceparent: $0, tracestate: headers["tracestate"]) }
    }

    /// Runs `body` in a span named `name`: under `parent` when given (a stored context), else
    /// under the current one. Off, `body` runs with no span.
    public func span<T>(
        _ name: String,
        kind: SpanKind = .internal,
        parent: TraceContext? = nil,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TraceSpan) async throws -> T
    ) async rethrows -> T {
        guard enabled else { return try await body(TraceSpan(span: nil)) }
        var context = ServiceContext.current ?? .topLevel
        if let parent {
            context = .topLevel
            InstrumentationSystem.instrument.extract(
                Dictionary(parent.headers, uniquingKeysWith: { first, _ in first }),
                into: &context,
                using: HeaderDictionary()
            )
        }
        // Not `withSpan`: it records a thrown error with its whole description, which may hold
        // what a span must not (TRACE-3). The error's type is recorded instead.
        let span = startSpan(name, context: context, ofKind: kind)
        defer { span.end() }
        do {
            return try await ServiceContext.$current.withValue(span.context) {
                try await body(TraceSpan(span: span))
            }
        } catch {
            span.setStatus(SpanStatus(code: .error, message: String(describing: type(of: error))))
            throw error
        }
    }
}

extension LogoutTracing {
    /// One attempt of a queued job as a client span under the logout's stored context: `body`
    /// gets the span's context to send, and the outcome keeps its trace id. Off, `body` runs
    /// alone (callgrind counted no cost for the closures this call is given).
    func attempt<Kind: QueueJobKind>(
        _ name: String,
        parent: TraceContext?,
        describe: (TraceSpan) -> Void,
        isolation: isolated (any Actor)? = #isolation,
        _ body: (TraceContext?) async -> QueueStateMachine<Kind>.AttemptOutcome
    ) async -> QueueStateMachine<Kind>.AttemptOutcome {
        guard enabled else { return await body(nil) }
        return await span(name, kind: .client, parent: parent) { span in
            describe(span)
            let trace = current()
            var outcome = await body(trace)
            outcome.traceID = trace?.traceID
            // Why it was not attempted may quote an error's text: that stays in the job's log.
            if outcome.notAttempted != nil {
                span.set("error.type", "not_attempted")
                span.fail("not attempted")
            } else {
                span.describe(outcome.result)
            }
            return outcome
        }
    }
}

/// A span that may not be there: attributes set on it cost nothing while tracing is off.
public struct TraceSpan {
    let span: (any Span)?

    /// Sets an attribute (semantic convention names where one exists; ours start `logoutd.`).
    public func set(_ key: String, _ value: String?) {
        guard let span, let value else { return }
        span.attributes[key] = value
    }

    public func set(_ key: String, _ value: Int?) {
        guard let span, let value else { return }
        span.attributes[key] = value
    }

    /// `url.full` without what may hold a credential: user, password, query and fragment.
    public func set(url: String) {
        guard span != nil else { return }
        guard var parts = URLComponents(string: url) else { return }
        (parts.user, parts.password, parts.query, parts.fragment) = (nil, nil, nil, nil)
        set("url.full", parts.string.map { SafeText.truncated($0, limit: 512) })
    }

    /// Marks the span failed, with a short reason that holds no token or secret.
    public func fail(_ reason: String) {
        span?.setStatus(SpanStatus(code: .error, message: reason))
    }
}

/// Reads and writes W3C trace headers in a plain dictionary, lower-cased names.
struct HeaderDictionary: Extractor, Injector {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }

    func inject(_ value: String, forKey key: String, into carrier: inout [String: String]) {
        carrier[key.lowercased()] = value
    }
}

extension TraceSpan {
    /// An attempt's answer on its span: the status, or the error class of a transport failure.
    /// The RP's error text stays in the attempt log (it is the RP's words, not ours).
    public func describe(_ result: AttemptResult) {
        switch result {
        case .response(let answer):
            set("http.response.status_code", answer.status)
            set("server.address", answer.remoteAddress)
            if !(200..<300).contains(answer.status) {
                set("error.type", String(answer.status))
                fail("HTTP \(answer.status)")
            }
        case .transportFailure(let errorClass, _):
            set("error.type", errorClass.rawValue)
            fail(errorClass.rawValue)
        }
    }
}
