import Foundation
import Logging
import LogoutCore
import Synchronization
import TestSupport
import Testing

@testable import LogoutService

/// Contract C2, and the hardening issue's "configuration typos are silent".
@Suite struct ConfigurationTests {
    let folder = TemporaryDirectory()

    func load(_ yaml: String, environment: [String: String] = [:]) async throws -> LogoutdConfiguration {
        let path = folder.file("logoutd.yaml")
        try yaml.write(toFile: path, atomically: true, encoding: .utf8)
        return try await LogoutdConfiguration.load(path: path, environment: environment)
    }

    func failure(_ yaml: String, environment: [String: String] = [:]) async -> String {
        do {
            _ = try await load(yaml, environment: environment)
            return "accepted"
        } catch {
            return "\(error)"
        }
    }

    @Test func anUnknownKeyIsRefusedWithItsLineAndTheNearestKey() async {
        let message = await failure(
            """
            issuer: "http://127.0.0.1:8080"
            database:
              pth: "data/logoutd.sqlite3"
            """
        )
        #expect(message.contains("unknown key database.pth"))
        #expect(message.contains("line 3"))
        #expect(message.contains("did you mean database.path?"))
    }

    /// Contract C2: `database.url` chooses the shared store; it names one store, holds no
    /// password, and the password's own variable is no unknown key.
    @Test(arguments: [
        ("database:\n  url: \"postgres://app@db:5433/logout\"\n", "accepted"),
        ("database:\n  url: \"postgres://app@db/l\"\n  path: \"x.sqlite3\"\n", "name two different stores"),
        ("database:\n  url: \"postgres://app:pw@db/l\"\n", "must not hold a password"),
        ("database:\n  url: \"postgres://app@db/l?sslmode=allow\"\n", "sslmode must be one of"),
        ("database:\n  max_connections: 1\n", "database.max_connections"),
    ])
    func theDatabaseURLIsReadStrictly(yaml: String, expected: String) async {
        let message = await failure(yaml, environment: ["LOGOUTD_DATABASE_PASSWORD": "secret"])
        #expect(message.contains(expected), "\(message)")
    }

    @Test(arguments: [
        ("delivery:\n  timout: \"5s\"\n", "delivery.timeout"),
        ("publik:\n  listen: \"127.0.0.1:1\"\n", "public.listen"),
        ("log:\n  lvl: \"info\"\n", "log.level"),
    ])
    func typosNameTheKeyMeant(yaml: String, meant: String) async {
        let message = await failure(yaml)
        #expect(message.contains("unknown key") && message.contains(meant), "\(message)")
    }

    @Test func aSectionGivenAsAValueIsRefused() async {
        #expect(await failure("delivery: 5\n").contains("delivery must be a mapping"))
    }

    @Test func anUnknownEnvironmentVariableIsRefused() async {
        let message = await failure("issuer: \"http://127.0.0.1:8080\"\n", environment: ["LOGOUTD_DATABSE_PATH": "x"])
        #expect(message.contains("LOGOUTD_DATABSE_PATH") && message.contains("LOGOUTD_DATABASE_PATH"))
        let fine = try? await load("", environment: ["LOGOUTD_DATABASE_PATH": "/tmp/x.db", "LOGOUTD_TEST_SOAK": "1"])
        #expect(fine?.databasePath == "/tmp/x.db")
    }

    @Test func everyKnownKeyParses() async throws {
        let config = try await load(
            """
            issuer: "https://logout.example"
            public:
              listen: "127.0.0.1:9080"
              max_connections: 100
              header_timeout: "3s"
              body_timeout: "4s"
              idle_timeout: "5s"
              max_header_bytes: 4096
            admin:
              listen: "[::1]:9081"
              token_file: "token"
            database:
              rejected_retention: "1d"
            keys:
              secrets_file: "/run/secrets.key"
            tokens:
              unknown_kid_cooldown: "30s"
            limits:
              rejections_per_minute: 100
              issuer_rejections_per_minute: 1000
            """
        )
        #expect(
            config.publicLimits
                == ListenerLimits(
                    maxConnections: 100,
                    headerTimeout: .seconds(3),
                    bodyTimeout: .seconds(4),
                    idleTimeout: .seconds(5),
                    maxHeaderBytes: 4096
                )
        )
        #expect(config.rejectedRetention == .seconds(86_400) && config.unknownKidCooldown == .seconds(30))
        #expect(config.rejectionsPerClient == 100 && config.rejectionsPerIssuer == 1000)
        #expect(config.effectiveSecretsKeyFile == "/run/secrets.key")
        #expect(config.adminTokenFile == folder.file("token"))
    }

    /// the lease is a key of its own, and must leave room for a wait behind one attempt,
    /// then an attempt and the storing of its outcome.
    @Test func theLeaseCoversTwoAttemptsAndAnOutcome() async throws {
        #expect(try await load("issuer: \"https://l.example\"\n").effectiveDeliveryLease == .seconds(50))
        let set = try await load("issuer: \"https://l.example\"\ndelivery:\n  timeout: \"5s\"\n  lease: \"15s\"\n")
        #expect(set.effectiveDeliveryLease == .seconds(15))
        let short = await failure("delivery:\n  timeout: \"10s\"\n  lease: \"24s\"\n")
        #expect(short.contains("delivery.lease must be at least twice delivery.timeout plus 5s (25s"), "\(short)")
    }

    @Test func theUnknownKidCooldownIsAtMostThirtySeconds() async {
        #expect(await failure("tokens:\n  unknown_kid_cooldown: \"31s\"\n").contains("at most 30s"))
    }

    @Test func credentialsComeFromSystemdWhenPresent() async throws {
        let credentials = TemporaryDirectory()
        try "k".write(toFile: credentials.file("secrets.key"), atomically: true, encoding: .utf8)
        let config = try await load("", environment: ["CREDENTIALS_DIRECTORY": credentials.path])
        #expect(config.effectiveSecretsKeyFile == credentials.file("secrets.key"))
        // No admin-token credential: the configured (default) file stays.
        #expect(config.adminTokenFile.hasSuffix("data/admin-token"))
    }

    /// SEC-3: loopback is an IP literal in 127.0.0.0/8, ::1 or `localhost`, never a name that
    /// merely starts with "127.".
    @Test(arguments: [
        ("127.0.0.1", true), ("127.1.2.3", true), ("::1", true), ("localhost", true), ("LOCALHOST", true),
        ("127.evil.example", false), ("128.0.0.1", false), ("0.0.0.0", false), ("::", false), ("::2", false),
    ])
    func loopback(host: String, isLoopback: Bool) {
        #expect(ListenAddress.isLoopback(host) == isLoopback)
    }

    @Test func theAdminListenerRefusesANameThatOnlyLooksLikeLoopback() async {
        let message = await failure("admin:\n  listen: \"127.evil.example:8081\"\n")
        #expect(message.contains("admin.listen must be a loopback address"))
    }
}

/// Contract C8: `tracing:` and the standard `OTEL_*` variables; off unless an endpoint is named.
@Suite struct TracingConfigurationTests {
    let configuration = ConfigurationTests()

    @Test func tracingIsOffByDefault() async throws {
        let config = try await configuration.load("issuer: \"https://l.example\"\n")
        #expect(!config.tracing.enabled)
        #expect(config.summary.first { $0.0 == "tracing.otlp_endpoint" }?.1.hasPrefix("(off)") == true)
    }

    @Test func everyTracingKeyParses() async throws {
        let config = try await configuration.load(
            """
            tracing:
              otlp_endpoint: "http://127.0.0.1:4317"
              protocol: "grpc"
              sample_ratio: 0.25
              service_name: "logout-eu"
              ui_url: "http://jaeger.example:16686/trace/{trace_id}"
            """
        )
        #expect(config.tracing.enabled && config.tracing.transport == .grpc && config.tracing.sampleRatio == 0.25)
        #expect(config.tracing.serviceName == "logout-eu")
        #expect(config.tracing.link(traceID: "abc") == "http://jaeger.example:16686/trace/abc")
    }

    @Test func theStandardVariablesTurnItOnAndWin() async throws {
        let on = try await configuration.load("", environment: ["OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"])
        #expect(on.tracing.enabled && on.tracing.effectiveEndpoint == "http://127.0.0.1:4318")
        let summary = Dictionary(on.summary, uniquingKeysWith: { first, _ in first })
        #expect(summary["tracing.otlp_endpoint"] == "http://127.0.0.1:4318 (from OTEL_EXPORTER_OTLP_ENDPOINT)")
        let disabled = try await configuration.load(
            "tracing:\n  otlp_endpoint: \"http://127.0.0.1:4318\"\n",
            environment: ["OTEL_SDK_DISABLED": "true"]
        )
        #expect(!disabled.tracing.enabled)
    }

    @Test func theEnvironmentsProtocolAndRatioAreWhatCheckConfigShows() async throws {
        let config = try await configuration.load(
            "tracing:\n  otlp_endpoint: \"http://127.0.0.1:4317\"\n  sample_ratio: 0.5\n",
            environment: ["OTEL_EXPORTER_OTLP_PROTOCOL": "grpc", "OTEL_TRACES_SAMPLER_ARG": "0.1"]
        )
        #expect(config.tracing.effectiveTransport == .grpc && config.tracing.transport == .httpProtobuf)
        let summary = Dictionary(config.summary, uniquingKeysWith: { first, _ in first })
        #expect(summary["tracing.protocol"] == "grpc (from the environment)")
        #expect(summary["tracing.sample_ratio"] == "0.1 (from OTEL_TRACES_SAMPLER_ARG)")
    }

    /// swift-otel logs each variable it applies with its value: a header variable's value is a
    /// collector's credential and never reaches the journal.
    @Test func headerVariablesAreRedactedFromTheExportersLines() {
        let lines = CapturedLog.Lines()
        var logger = Logger(label: "otel") { _ in CapturedLog(lines: lines) }
        logger.handler = RedactingLogHandler(logger.handler)
        for (key, value) in [("OTEL_EXPORTER_OTLP_HEADERS", "api-key=s3cr3t"), ("OTEL_SERVICE_NAME", "logout-eu")] {
            var line = logger
            line[metadataKey: "environment_key"] = "\(key)"
            line[metadataKey: "environment_value"] = "\(value)"
            line[metadataKey: "new_value"] = "\(value)"
            line.info("Configuration updated from environment")
        }
        let written = lines.all.withLock { $0.joined(separator: "\n") }
        #expect(!written.contains("s3cr3t") && written.contains("(redacted)"))
        #expect(written.contains("logout-eu"))
    }

    @Test(
        arguments: [
            ("tracing:\n  otlp_endpoint: \"127.0.0.1:4318\"\n", [:], "tracing.otlp_endpoint must be an http(s) URL"),
            ("tracing:\n  protocol: \"http/json\"\n", [:], "tracing.protocol must be http/protobuf or grpc"),
            ("tracing:\n  sample_ratio: 1.5\n", [:], "tracing.sample_ratio"),
            (
                "tracing:\n  ui_url: \"http://jaeger.example/trace/\"\n", [:],
                "tracing.ui_url must be an http(s) URL holding"
            ),
            (
                "tracing:\n  ui_url: \"javascript:alert({trace_id})\"\n", [:],
                "tracing.ui_url must be an http(s) URL holding"
            ),
            ("tracing:\n  service_name: \"\"\n", [:], "tracing.service_name"),
            ("", ["OTEL_TRACES_SAMPLER": "sometimes"], "OTEL_TRACES_SAMPLER must be one of"),
            ("", ["OTEL_TRACES_SAMPLER_ARG": "2"], "OTEL_TRACES_SAMPLER_ARG must be a ratio"),
            (
                "", ["OTEL_EXPORTER_OTLP_PROTOCOL": "http/json"],
                "OTEL_EXPORTER_OTLP_PROTOCOL must be grpc or http/protobuf"
            ),
            (
                "", ["OTEL_EXPORTER_OTLP_ENDPOINT": "collector:4317"],
                "OTEL_EXPORTER_OTLP_ENDPOINT must be an http(s) URL"
            ),
            ("tracing:\n  otlp_endpiont: \"http://x\"\n", [:], "did you mean tracing.otlp_endpoint"),
            (
                "tracing:\n  otlp_endpoint: \"http://user:key@c.example:4318\"\n", [:],
                "must not hold a user or password"
            ),
            (
                "tracing:\n  otlp_endpoint: \"http://c.example\"\n  protocol: \"grpc\"\n", [:],
                "must name its port for grpc"
            ),
            (
                "tracing:\n  otlp_endpoint: \"http://c.example\"\n", ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "grpc"],
                "must name its port for grpc"
            ),
            ("", ["OTEL_EXPORTER_OTLP_TRACES_PROTOCOL": "http/json"], "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL must be"),
            ("", ["OTEL_PROPAGATORS": "b3"], "OTEL_PROPAGATORS must include tracecontext"),
            ("", ["OTEL_EXPORTER_OTLP_HEADERS": "api-key"], "OTEL_EXPORTER_OTLP_HEADERS must be name=value pairs"),
        ] as [(String, [String: String], String)]
    )
    func badTracingSettingsAreRefusedByName(yaml: String, environment: [String: String], message: String) async {
        let failure = await configuration.failure(yaml, environment: environment)
        #expect(failure.contains(message), "\(failure)")
    }
}
