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
                                failed: span.status.code == .error
                            )
                        )
                    }
                }
            }
        }
        return spans
    }

    static func hex(_ data: Data) -> String {
        data.map { String(format: "%02x", $0) }.joined()
    }

    func stop() async { await server.stop() }
}
