// swift-tools-version: 6.2
import PackageDescription

/// Our code builds in Swift 6 language mode with the upcoming features the Swift Server
/// packages we learn from enable, so that the module graph declared here is the truth.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    // Our targets build without a warning; dependencies keep theirs.
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "logoutd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "logoutd", targets: ["logoutd"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/groue/GRDB.swift.git", from: "7.10.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.0.0"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.0"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        // The admin's delivery log page: logic-less templates, escaped by default.
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Already in the graph through swift-configuration's YAML trait; used directly to find the
        // line of an unknown config key.
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.0.0"),
        // The shared store of several replicas (`database.url`).
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        // Traces (`tracing:`): the OTLP exporters (HTTP and gRPC) behind swift-distributed-tracing.
        .package(url: "https://github.com/swift-otel/swift-otel.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-distributed-tracing.git", from: "1.7.3"),
        // Only the end-to-end test decodes what the OTLP exporter sends (swift-otel's own types).
        .package(url: "https://github.com/apple/swift-protobuf.git", from: "1.39.0"),
        .package(
            url: "https://github.com/apple/swift-configuration.git",
            from: "1.4.0",
            traits: [.defaults, "YAML"]
        ),
    ],
    targets: [
        // Pure core: token rules, fan-out planning, delivery decisions. No I/O, no server libraries.
        .target(
            name: "LogoutCore",
            swiftSettings: swiftSettings
        ),
        // JWS verification and signing, JWK sets, our key files (swift-crypto).
        .target(
            name: "LogoutJWT",
            dependencies: [
                "LogoutCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // SQLite registry and durable queue (GRDB).
        .target(
            name: "LogoutStorage",
            dependencies: [
                "LogoutCore",
                .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: swiftSettings
        ),
        // PostgreSQL registry and durable queue, shared by several replicas (postgres-nio).
        .target(
            name: "LogoutPostgres",
            dependencies: [
                "LogoutCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Outbound HTTP: deliveries (kept-alive HTTP/1.1 on NIO) and issuer key fetches
        // (AsyncHTTPClient).
        .target(
            name: "LogoutDelivery",
            dependencies: [
                "LogoutCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The admin API's request and response types, shared by the routes and the CLI.
        .target(
            name: "LogoutAdminAPI",
            dependencies: ["LogoutCore"],
            swiftSettings: swiftSettings
        ),
        // The CLI's side of the admin API: AdminOperations over HTTP, tables for people.
        .target(
            name: "LogoutAdminClient",
            dependencies: [
                "LogoutAdminAPI",
                "LogoutCore",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Inbound HTTP: public and admin routes, the browser pages (Hummingbird, Mustache), and
        // the one mapping of errors to answers.
        .target(
            name: "LogoutHTTP",
            dependencies: [
                "LogoutCore",
                "LogoutAdminAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        // Use cases, long-running services, configuration and the composition root.
        .target(
            name: "LogoutService",
            dependencies: [
                "LogoutCore",
                "LogoutAdminAPI",
                "LogoutJWT",
                "LogoutStorage",
                "LogoutPostgres",
                "LogoutDelivery",
                "LogoutHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "Tracing", package: "swift-distributed-tracing"),
                .product(name: "Instrumentation", package: "swift-distributed-tracing"),
            ],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "logoutd",
            dependencies: [
                "LogoutService",
                "LogoutAdminAPI",
                "LogoutAdminClient",
                "LogoutCore",
                "LogoutJWT",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // The parsers an anonymous client reaches, under libFuzzer (scripts/fuzz, run by .ci/run)
        // or a seeded random harness (the same binary without -sanitize=fuzzer: scripts/fuzz --random).
        .target(name: "CFuzzerDriver"),
        .executableTarget(
            name: "logoutd-fuzz",
            dependencies: ["LogoutCore", "CFuzzerDriver"],
            path: "Sources/LogoutFuzz",
            swiftSettings: swiftSettings
        ),
        // The benchmark's floor (Benchmarks/run): ES256, SQLite and HTTP/1.1 alone, through the
        // libraries logoutd uses, for CPU per unit of work at its floor.
        .executableTarget(
            name: "logoutd-floor",
            dependencies: [
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            path: "Benchmarks/Floor",
            swiftSettings: swiftSettings
        ),
        // Helpers shared by the test targets: token forging, test servers, temp files.
        .target(
            name: "TestSupport",
            dependencies: [
                "LogoutCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Tests/TestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutCoreTests",
            dependencies: ["LogoutCore"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutJWTTests",
            dependencies: [
                "LogoutJWT", "LogoutCore", "TestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutStorageTests",
            dependencies: [
                "LogoutStorage", "LogoutPostgres", "LogoutCore", "TestSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        // Checks on the repository itself: the rules page against what cites it.
        .testTarget(
            name: "RepositoryTests",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutHTTPTests",
            dependencies: [
                "LogoutHTTP", "LogoutCore", "LogoutAdminAPI",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutDeliveryTests",
            dependencies: [
                "LogoutDelivery", "LogoutCore", "TestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "LogoutServiceTests",
            dependencies: [
                "LogoutService", "LogoutCore", "LogoutStorage", "LogoutPostgres", "LogoutHTTP", "LogoutJWT",
                "TestSupport",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings
        ),
        // Starts the built logoutd binary; depends on it so that `swift test` builds it first.
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "logoutd", "LogoutCore", "LogoutJWT", "TestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "OTel", package: "swift-otel"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
            ],
            swiftSettings: swiftSettings
        ),
    ],
    swiftLanguageModes: [.v6]
)
