import Foundation
import LogoutCore

/// `tracing:` (contract C8), with the standard `OTEL_*` variables, which win over the file as
/// swift-otel applies them. Off unless an OTLP endpoint is named, in the file or the environment.
public struct TracingSettings: Sendable, Equatable {
    public enum Transport: String, Sendable, CaseIterable {
        case httpProtobuf = "http/protobuf"
        case grpc
    }

    /// The collector's base address, as `OTEL_EXPORTER_OTLP_ENDPOINT` takes it: over HTTP the
    /// spans go to `/v1/traces` under it.
    public var otlpEndpoint: String?
    public var transport = Transport.httpProtobuf
    /// The share of new traces recorded; a caller's sampled flag in `traceparent` is followed.
    public var sampleRatio = 1.0
    public var serviceName = "logoutd"
    /// A trace's page in a tracing UI, `{trace_id}` in it replaced: links on the delivery log page.
    public var uiURL: String?
    /// The `OTEL_*` variables of the process, which swift-otel reads itself.
    public var environment: [String: String] = [:]

    public init() {}

    public var enabled: Bool {
        if environment["OTEL_SDK_DISABLED"]?.lowercased() == "true" { return false }
        if environment["OTEL_TRACES_EXPORTER"]?.lowercased() == "none" { return false }
        return effectiveEndpoint != nil
    }

    /// How spans go: a variable names it over the file, as swift-otel applies it.
    public var effectiveTransport: Transport {
        (environment["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] ?? environment["OTEL_EXPORTER_OTLP_PROTOCOL"])
            .flatMap(Transport.init(rawValue:)) ?? transport
    }

    /// Where spans go: a variable names it over the file.
    public var effectiveEndpoint: String? {
        environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] ?? environment["OTEL_EXPORTER_OTLP_ENDPOINT"] ?? otlpEndpoint
    }

    /// The page of `traceID` in the tracing UI, when one is configured.
    public func link(traceID: String) -> String? {
        uiURL?.replacingOccurrences(of: "{trace_id}", with: traceID)
    }

    static func parse(_ values: ConfigValues, environment: [String: String]) throws -> TracingSettings {
        var settings = TracingSettings()
        settings.otlpEndpoint = try values.string("tracing.otlp_endpoint")
        if let name = try values.string("tracing.protocol") {
            guard let transport = Transport(rawValue: name) else {
                throw LogoutdConfiguration.Failure(description: "tracing.protocol must be http/protobuf or grpc")
            }
            settings.transport = transport
        }
        settings.sampleRatio = try values.double("tracing.sample_ratio", in: 0...1) ?? settings.sampleRatio
        settings.serviceName = try values.string("tracing.service_name") ?? settings.serviceName
        settings.uiURL = try values.string("tracing.ui_url")
        settings.environment = environment
        try settings.validate()
        return settings
    }

    static let samplers: Set<String> = [
        "always_on", "always_off", "traceidratio", "parentbased_always_on", "parentbased_always_off",
        "parentbased_traceidratio",
    ]

    /// Refuses what the exporter would otherwise ignore with a warning, or send nowhere.
    func validate() throws {
        let endpoints = [
            ("tracing.otlp_endpoint", otlpEndpoint),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", environment["OTEL_EXPORTER_OTLP_ENDPOINT"]),
            ("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"]),
        ]
        for (key, url) in endpoints {
            guard let url else { continue }
            guard let parsed = URL(string: url), Self.isHTTPURL(url) else {
                throw failure("\(key) must be an http(s) URL such as http://127.0.0.1:4318")
            }
            // It is printed at start and by check-config: a credential goes in a header variable.
            guard parsed.user == nil, parsed.password == nil else {
                throw failure("\(key) must not hold a user or password; use OTEL_EXPORTER_OTLP_HEADERS")
            }
            // The one in effect only: a variable may replace the file's.
            guard effectiveTransport != .grpc || parsed.port != nil || url != effectiveEndpoint else {
                throw failure("\(key) must name its port for grpc, such as http://127.0.0.1:4317")
            }
        }
        for name in ["OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TRACES_HEADERS"] {
            guard let value = environment[name] else { continue }
            let pairs = value.split(separator: ",", omittingEmptySubsequences: false)
            guard
                pairs.allSatisfy({
                    $0.split(separator: "=", maxSplits: 1).first.map {
                        !$0.trimmingCharacters(in: .whitespaces).isEmpty
                    } == true && $0.contains("=")
                })
            else {
                // The value is a credential: it is not repeated here.
                throw failure("\(name) must be name=value pairs separated by commas")
            }
        }
        guard (0...1).contains(sampleRatio) else { throw failure("tracing.sample_ratio must be between 0 and 1") }
        guard !serviceName.isEmpty, serviceName.count <= 255 else {
            throw failure("tracing.service_name must be 1 to 255 characters")
        }
        if let uiURL {
            guard Self.isHTTPURL(uiURL.replacingOccurrences(of: "{trace_id}", with: "0")), uiURL.contains("{trace_id}")
            else {
                throw failure(
                    "tracing.ui_url must be an http(s) URL holding {trace_id}, such as "
                        + "http://jaeger.example:16686/trace/{trace_id}"
                )
            }
        }
        if let sampler = environment["OTEL_TRACES_SAMPLER"], !Self.samplers.contains(sampler) {
            throw failure("OTEL_TRACES_SAMPLER must be one of \(Self.samplers.sorted().joined(separator: ", "))")
        }
        if let argument = environment["OTEL_TRACES_SAMPLER_ARG"], Double(argument).map({ (0...1).contains($0) }) != true
        {
            throw failure("OTEL_TRACES_SAMPLER_ARG must be a ratio between 0 and 1")
        }
        for name in ["OTEL_EXPORTER_OTLP_PROTOCOL", "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL"] {
            if let value = environment[name], Transport(rawValue: value) == nil {
                throw failure("\(name) must be grpc or http/protobuf")
            }
        }
        // What is stored and sent on is W3C trace context: without it, nothing would reach an RP.
        if let propagators = environment["OTEL_PROPAGATORS"],
            !propagators.split(separator: ",").contains(where: {
                $0.trimmingCharacters(in: .whitespaces) == "tracecontext"
            })
        {
            throw failure("OTEL_PROPAGATORS must include tracecontext (the W3C traceparent logoutd stores and sends)")
        }
    }

    private func failure(_ description: String) -> LogoutdConfiguration.Failure {
        LogoutdConfiguration.Failure(description: description)
    }

    static func isHTTPURL(_ text: String) -> Bool {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else { return false }
        return (scheme == "http" || scheme == "https") && url.host?.isEmpty == false
    }

    /// For `check-config`: the values in effect, a variable's named where it wins.
    var summary: [(String, String)] {
        let fromEnvironment = { (name: String, value: String) in "\(value) (from \(name))" }
        let endpoint: String
        if let value = environment["OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"] {
            endpoint = fromEnvironment("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", value)
        } else if let value = environment["OTEL_EXPORTER_OTLP_ENDPOINT"] {
            endpoint = fromEnvironment("OTEL_EXPORTER_OTLP_ENDPOINT", value)
        } else {
            endpoint = otlpEndpoint ?? "(not set: tracing is off)"
        }
        var sampler = String(sampleRatio)
        if let name = environment["OTEL_TRACES_SAMPLER"] {
            let argument = environment["OTEL_TRACES_SAMPLER_ARG"].map { " " + $0 } ?? ""
            sampler = fromEnvironment("OTEL_TRACES_SAMPLER", name + argument)
        } else if let argument = environment["OTEL_TRACES_SAMPLER_ARG"] {
            sampler = fromEnvironment("OTEL_TRACES_SAMPLER_ARG", argument)
        }
        return [
            ("tracing.otlp_endpoint", enabled ? endpoint : "(off) " + endpoint),
            (
                "tracing.protocol",
                effectiveTransport == transport
                    ? transport.rawValue : effectiveTransport.rawValue + " (from the environment)"
            ),
            ("tracing.sample_ratio", sampler),
            (
                "tracing.service_name",
                environment["OTEL_SERVICE_NAME"].map { fromEnvironment("OTEL_SERVICE_NAME", $0) } ?? serviceName
            ),
            ("tracing.ui_url", uiURL ?? "(not set)"),
        ]
    }
}
