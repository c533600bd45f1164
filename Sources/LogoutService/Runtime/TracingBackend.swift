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
    public static func bootstrap(
        _ settings: TracingSettings,
        logger: Logger
    ) throws -> (any Service)? {
        guard settings.enabled else { return nil }
        var config = OTel.Configuration.default
        config.serviceName = settings.serviceName
        config.diagnosticLogger = .custom(logger)
        config.propagators = [.traceContext]
        config.logs.enabled = false
        config.metrics.enabled = false
        config.traces.enabled = true
        config.traces.exporter = .otlp
        config.traces.sampler = .parentBasedTraceIDRatio(ratio: settings.sampleRatio) ?? .parentBasedAlwaysOn
        config.traces.otlpExporter.protocol = settings.transport == .grpc ? .grpc : .httpProtobuf
        if let endpoint = settings.otlpEndpoint {
            // Set here, swift-otel takes the address as it is; `otlp_endpoint` is a base address
            // like `OTEL_EXPORTER_OTLP_ENDPOINT`, under which OTLP/HTTP sends to `v1/traces`.
            config.traces.otlpExporter.endpoint =
                settings.transport == .grpc
                ? endpoint : (endpoint.hasSuffix("/") ? endpoint : endpoint + "/") + "v1/traces"
        }
        // The standard variables are applied over these by swift-otel itself.
        let backend = try OTel.makeTracingBackend(configuration: config)
        InstrumentationSystem.bootstrap(backend.factory)
        logger.notice(
            "tracing on",
            metadata: [
                "endpoint": "\(settings.effectiveEndpoint ?? "-")", "service_name": "\(settings.serviceName)",
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
