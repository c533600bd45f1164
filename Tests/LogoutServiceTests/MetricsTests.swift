import Foundation
import Logging
import LogoutCore
import Prometheus
import TestSupport
import Testing

@testable import LogoutService

/// `/metrics` (ADM-3): the series an operator alerts on, with values that follow the deliveries,
/// and no label that names a person.
@Suite(.serialized) struct MetricsTests {
    /// `name{labels} value` lines of a Prometheus text exposition, keyed by `name{labels}`.
    static func samples(_ text: String) -> [String: Double] {
        var samples: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else {
                continue
            }
            samples[String(line[..<space])] = value
        }
        return samples
    }

    @Test(arguments: StoreKind.allCases)
    func deliveriesAttemptsQueueAndBreakersAreExported(kind: StoreKind) async throws {
        let flaky = try await TestServer.start { index, _ in index < 1 ? Behavior(status: 503) : .ok }
        let rejecting = try await TestServer.start { _, _ in Behavior(status: 400) }
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("flaky", uri: flaky.url + "/bcl")
            try await harness.registerRP("rejecting", uri: rejecting.url + "/bcl")
            try await harness.addSession(sub: "user-secretive", rp: "flaky", rpSub: "rp-user-secretive")
            try await harness.addSession(sub: "user-secretive", rp: "rejecting", rpSub: "rp-user-secretive")
            try await DeliveryTests.withDispatcher(harness) {
                try await DeliveryTests.logout(harness, sub: "user-secretive")
                #expect(
                    await eventually {
                        (try? await harness.deliveries().allSatisfy { [.delivered, .failed].contains($0.status) })
                            == true
                    }
                )
            }
            await harness.components.metricsCollector.collect()
            let text = harness.components.metricsRegistry.emitToString()
            let values = Self.samples(text)

            #expect(values[#"logoutd_logouts_received_total{issuer="idp",outcome="accepted"}"#] == 1)
            #expect(values[#"logoutd_deliveries_total{client_id="flaky",outcome="delivered"}"#] == 1)
            #expect(values[#"logoutd_deliveries_total{client_id="rejecting",outcome="failed"}"#] == 1)
            #expect(values[#"logoutd_delivery_attempts_total{client_id="flaky",result="http_5xx"}"#] == 1)
            #expect(values[#"logoutd_delivery_attempts_total{client_id="flaky",result="success"}"#] == 1)
            #expect(values[#"logoutd_delivery_attempts_total{client_id="rejecting",result="http_4xx"}"#] == 1)
            #expect(values["logoutd_delivery_attempt_duration_seconds_count"] == 3)
            #expect(values[#"logoutd_queue_depth{status="pending"}"#] == 0)
            #expect(values[#"logoutd_queue_depth{status="retrying"}"#] == 0)
            #expect(values["logoutd_oldest_pending_age_seconds"] == 0)
            #expect(values[#"logoutd_rp_breaker_state{client_id="flaky",state="closed"}"#] == 1)
            #expect(values[#"logoutd_rp_breaker_state{client_id="flaky",state="open"}"#] == 0)
            #expect(!text.contains("secretive"), "a subject id reached a metric label")
        }
        await flaky.stop()
        await rejecting.stop()
    }

    /// `logoutd_log_lines_total` (ADM-4) follows the lines written, by level, however often it
    /// is collected: what the journal lost shows against it.
    @Test func logLinesAreExportedByLevel() async throws {
        try await Harness.with { harness in
            let components = harness.components
            var collector = MetricsCollector(
                store: components.database,
                metrics: components.metrics,
                now: components.now,
                logger: components.logger
            )
            let counts = LogLineCounts()
            collector.lines = counts
            for level in [Logger.Level.warning, .warning, .info] { counts.add(level) }
            await collector.collect()
            counts.add(.warning)
            await collector.collect()
            await collector.collect()
            let values = Self.samples(components.metricsRegistry.emitToString())
            #expect(values[#"logoutd_log_lines_total{level="warning"}"#] == 3)
            #expect(values[#"logoutd_log_lines_total{level="info"}"#] == 1)
            #expect(values[#"logoutd_log_lines_total{level="error"}"#] == nil)
        }
    }

    /// The single writer's busy time is a counter by kind of write, brought up to date on every
    /// collection without counting a moment twice or leaving one out; a store without one writer
    /// exports none.
    @Test(arguments: StoreKind.allCases)
    func theWritersBusyTimeIsCountedOnce(kind: StoreKind) async throws {
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("down", uri: "http://127.0.0.1:9/bcl")
            try await harness.addSession(rp: "down")
            try await DeliveryTests.logout(harness)
            let acknowledged = #"logoutd_store_writer_busy_seconds_total{writes="acknowledged"}"#
            func exported() async -> Double? {
                await harness.components.metricsCollector.collect()
                return Self.samples(harness.components.metricsRegistry.emitToString())[acknowledged]
            }
            func busy() async throws -> Double? {
                try await harness.components.database.queueStatistics().writerBusy?.acknowledged.seconds
            }
            guard kind == .sqlite else {
                #expect(await exported() == nil, "a store with no single writer exported its busy time")
                #expect(try await busy() == nil)
                return
            }
            // The harness runs no writer of its own: nothing changes the count but this test's logouts.
            let first = try #require(await exported())
            let counted = try #require(try await busy())
            #expect(first > 0 && abs(first - counted) < 1e-9)
            #expect(await exported() == first, "a collection with no write in between counted time again")
            try await harness.addSession(sub: "user-2", sid: "session-2", rp: "down")
            try await DeliveryTests.logout(harness, sub: "user-2", sid: "session-2")
            let total = try #require(try await busy())
            #expect(total > first)
            let second = try #require(await exported())
            #expect(abs(second - total) < 1e-9, "the second logout's time was not exported, or twice")
        }
    }

    /// The age is the collector's clock minus the oldest waiting delivery's creation: the
    /// daemon's clock, moved by hand (no dispatcher runs, so the delivery waits).
    @Test(arguments: StoreKind.allCases)
    func theOldestWaitingDeliveryAgesWhileItsRPIsDown(kind: StoreKind) async throws {
        let clock = ManualWallClock()
        try await Harness.with(kind, now: clock.now) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("down", uri: "http://127.0.0.1:9/bcl")
            try await harness.addSession(rp: "down")
            try await DeliveryTests.logout(harness)
            await harness.components.metricsCollector.collect()
            var values = Self.samples(harness.components.metricsRegistry.emitToString())
            #expect(values[#"logoutd_queue_depth{status="pending"}"#] == 1)
            #expect(values["logoutd_oldest_pending_age_seconds"] == 0)
            clock.advance(.seconds(90))
            await harness.components.metricsCollector.collect()
            values = Self.samples(harness.components.metricsRegistry.emitToString())
            #expect(values[#"logoutd_queue_depth{status="pending"}"#] == 1)
            #expect(values["logoutd_oldest_pending_age_seconds"] == 90)
        }
    }

    /// A handle is made once per label and dimensions, and never shared by two series.
    @Test func counterHandlesAreOnePerSeries() {
        let cache = CounterCache()
        let factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
        let made = cache.counter("c_total", ["client_id": "a", "result": "success"], factory)
        #expect(made === cache.counter("c_total", ["client_id": "a", "result": "success"], factory))
        for other: KeyValuePairs<String, String> in [
            ["client_id": "a", "result": "other"], ["client_id": "b", "result": "success"],
            ["issuer": "a", "result": "success"], ["client_id": "a"],
            ["client_id": "a", "result": "success", "x": "y"],
        ] {
            #expect(made !== cache.counter("c_total", other, factory))
        }
        #expect(made !== cache.counter("d_total", ["client_id": "a", "result": "success"], factory))
    }
}
