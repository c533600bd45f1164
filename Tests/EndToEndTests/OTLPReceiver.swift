import Foundation
import SwiftProtobuf
import TestSupport

@testable import OTel

/// An OTLP/HTTP collector for the tests: a test server on loopback at `/v1/traces`, whose
/// exports are decoded with swift-otel's own protobuf types.
struct OTLPReceiver {
    struct Span: Equatable {
        let traceID: String
        let spanID: String
        let parentSpanID: String
        let name: String
        let kind: String
        let attributes: [String: String]
        let failed: Bool
        let start: UInt64
        let end: UInt64
        /// Everything else a span exports that could carry text: its status message, and its
        /// events' names and attribute values (an exception event holds an error's description).
        let otherText: [String]

        /// Every text this span exports.
        var texts: [String] { [name] + attributes.keys + attributes.values + otherText }
    }

    let server: TestServer

    static func start() async throws -> OTLPReceiver {
        let server = try await TestServer.start { _, _ in
            Behavior(status: 200, headers: [("Content-Type", "application/x-protobuf")])
        }
        return OTLPReceiver(server: server)
    }

    var endpoint: String { server.url }

    /// Every span exported so far, from every request.
    func spans() throws -> [Span] {
        var spans: [Span] = []
        for request in server.received where request.path == "/v1/traces" {
            let export = try Opentelemetry_Proto_Collector_Trace_V1_ExportTraceServiceRequest(
                serializedBytes: request.bytes
            )
            for resource in export.resourceSpans {
                for scope in resource.scopeSpans {
                    for span in scope.spans {
                        var attributes: [String: String] = [:]
                        for attribute in span.attributes {
                            switch attribute.value.value {
                            case .stringValue(let text): attributes[attribute.key] = text
                            case .intValue(let number): attributes[attribute.key] = String(number)
                            case .boolValue(let flag): attributes[attribute.key] = String(flag)
                            default: attributes[attribute.key] = "\(attribute.value)"
                            }
                        }
                        spans.append(
                            Span(
                                traceID: Self.hex(span.traceID),
                                spanID: Self.hex(span.spanID),
                                parentSpanID: Self.hex(span.parentSpanID),
                                name: span.name,
                                kind: "\(span.kind)",
                                attributes: attributes,
                                failed: span.status.code == .error,
                                start: span.startTimeUnixNano,
                                end: span.endTimeUnixNano,
                                otherText: [span.status.message]
                                    + span.events.flatMap { [$0.name] + $0.attributes.map { "\($0.key)=\($0.value)" } }
                            )
                        )
                    }
                }
            }
        }
        return spans
    }

    /// One trace as an indented tree, children in start order: what docs/operations.md shows.
    static func tree(_ spans: [Span], root parent: String) -> [String] {
        let first = spans.map(\.start).min() ?? 0
        func lines(under parent: String, depth: Int) -> [String] {
            spans.filter { $0.parentSpanID == parent }.sorted { $0.start < $1.start }.flatMap { span in
                let shown = span.attributes.filter { !$0.key.hasPrefix("url.") && !$0.key.hasPrefix("server.") }
                    .sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
                let at = String(
                    format: "+%.3fs %6.1fms",
                    Double(span.start - first) / 1e9,
                    Double(span.end - span.start) / 1e6
                )
                let head =
                    String(repeating: "  ", count: depth) + span.name + " [\(span.kind)\(span.failed ? ", error" : "")]"
                return [head.padding(toLength: 44, withPad: " ", startingAt: 0) + at + "  " + shown]
                    + lines(under: span.spanID, depth: depth + 1)
            }
        }
        return lines(under: parent, depth: 0)
    }

    static func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    func stop() async { await server.stop() }
}
