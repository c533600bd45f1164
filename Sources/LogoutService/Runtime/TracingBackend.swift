import Instrumentation
import Logging
import OTel
import ServiceLifecycle
import Tracing

/// The process's tracer: swift-otel's OTLP exporter, made once at start when `tracing:` is on.
public enum TracingBackend {
    /// Makes the exporter and installs it as the process's tracer. Its service batches and
    /// sends spans; run it in the daemon's group, where it stops last and sends what is left.
    /// Off: no service, and nothing is installed.
    public static func bootstrap(_ settings: TracingSettings, logger: Logger) throws -> (any Service)? {
        guard settings.enabled else { return nil }
        var config = OTel.Configuration.default
        config.serviceName = settings.serviceName
        // swift-otel logs each variable it applies with its value, at info: redacted where the
        // value may be a credential (`OTEL_EXPORTER_OTLP_HEADERS` carries collector API keys).
        var diagnostics = logger
        diagnostics.handler = RedactingLogHandler(diagnostics.handler)
        config.diagnosticLogger = .custom(diagnostics)
        config.diagnosticLogLevel = .warning
        config.propagators = [.traceContext]
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.enabled = true
        config.traces.exporter = .otlp
        config.traces.sampler = .parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn
        let transport = settings.effectiveTransport
        config.traces.otlpExporter.protocol = transport == .grpc ? .grpc : .httpProtobuf
        // Within the unit's stop timeout, after the drain: a collector that does not answer
        // costs 5 s at the stop, not swift-otel's 30.
        config.traces.otlpExporter.timeout = .seconds(5)
        config.traces.batchSpanProcessor.exportTimeout = .seconds(5)
        if let endpoint = settings.otlpEndpoint {
            // Set here, swift-otel takes the address as it is; `otlp_endpoint` is a base address
            // like `OTEL_EXPORTER_OTLP_ENDPOINT`, under which OTLP/HTTP sends to `v1/traces`.
            config.traces.otlpExporter.endpoint =
                transport == .grpc ? endpoint : (endpoint.hasSuffix("/") ? endpoint : endpoint + "/") + "v1/traces"
        }
        // The standard variables are applied over these by swift-otel itself.
        let backend = try OTel.makeTracingBackend(configuration: config)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.notice(
            "tracing on",
            metadata: [
                "endpoint": "\(settings.effectiveEndpoint ?? "-")", "protocol": "\(transport.rawValue)",
                "service_name": "\(settings.environment["OTEL_SERVICE_NAME"] ?? settings.serviceName)",
            ]
        )
        return backend.service
    }

    /// `trace_id` and `span_id` on every log line written inside a span; nil while tracing is
    /// off, so that a line costs what it did.
    public static func loggingMetadataProvider(_ settings: TracingSettings) -> Logger.MetadataProvider? {
        settings.enabled ? OTel.makeLoggingMetadataProvider() : nil
    }
}

/// swift-otel's own lines, with the values of header variables (credentials) left out.
struct RedactingLogHandler: LogHandler {
    var wrapped: any LogHandler

    init(_ wrapped: any LogHandler) {
        self.wrapped = wrapped
    }

    static let valueKeys = ["environment_value", "previous_value", "new_value"]

    var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        let variable = "\(wrapped.metadata["environment_key"] ?? event.metadata?["environment_key"] ?? "")"
        guard variable.contains("HEADERS") else { return wrapped.log(event: event) }
        var handler = wrapped
        var event = event
        for key in Self.valueKeys {
            if handler.metadata[key] != nil { handler[metadataKey: key] = "(redacted)" }
            if event.metadata?[key] != nil { event.metadata?[key] = "(redacted)" }
        }
        handler.log(event: event)
    }
}
