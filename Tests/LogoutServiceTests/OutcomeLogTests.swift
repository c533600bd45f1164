import Logging
import LogoutCore
import Synchronization
import Testing

@testable import LogoutService

/// ADM-4 at the edge: what the digest decides is what reaches the logger, at the right level,
/// and every line written is counted by level.
@Suite struct OutcomeLogTests {
    final class Lines: Sendable {
        let all = Mutex<[(level: Logger.Level, message: String, metadata: Logger.Metadata)]>([])
        var snapshot: [(level: Logger.Level, message: String, metadata: Logger.Metadata)] { all.withLock { $0 } }
    }

    struct Capture: LogHandler {
        let lines: Lines
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .info

        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }

        func log(event: LogEvent) {
            lines.all.withLock { $0.append((event.level, "\(event.message)", event.metadata ?? [:])) }
        }
    }

    final class TestClock: Sendable {
        let time = Mutex(Timestamp(millisecondsSince1970: 1_000_000))
        func advance(_ duration: Duration) { time.withLock { $0 = $0 + duration } }
        var now: Timestamp { time.withLock { $0 } }
    }

    @Test func aBurstOfDeliveriesIsAFewLinesAtInfoAndWarning() {
        let lines = Lines()
        let counts = LogLineCounts()
        let logger = Logger(label: "test") { _ in CountingLogHandler(Capture(lines: lines), counts: counts) }
        let clock = TestClock()
        let logs = OutcomeLogs(now: { clock.now }, logger: logger)
        for i in 0..<1_000 {
            logs.deliveries.record(.succeeded, key: "shop", "delivered", level: .info, metadata: ["i": "\(i)"])
        }
        for _ in 0..<50 {
            logs.deliveries.record(
                .retrying,
                key: "down",
                cause: "HTTP 503",
                nextAttemptAt: clock.now + .seconds(30),
                "delivery attempt failed; will retry",
                level: .info,
                metadata: [:]
            )
        }
        for _ in 0..<10 {
            logs.deliveries.record(
                .failed,
                key: "broken",
                cause: "HTTP 404",
                "delivery failed",
                level: .warning,
                metadata: [:]
            )
        }
        #expect(lines.snapshot.map(\.message) == Array(repeating: "delivery failed", count: 3))
        #expect(lines.snapshot.allSatisfy { $0.level == .warning })
        logs.deliveries.flush()
        #expect(lines.snapshot.count == 3, "the window is still open")
        clock.advance(.seconds(10))
        logs.deliveries.flush()
        let summaries = lines.snapshot.dropFirst(3)
        #expect(
            summaries.map { "\($0.level) \($0.message)" } == [
                "warning more deliveries failed", "warning delivery attempts failed; will retry",
                "info deliveries delivered",
            ]
        )
        let retry = summaries.first { $0.message == "delivery attempts failed; will retry" }?.metadata
        #expect(retry?["rp.client_id"] == "down" && retry?["count"] == "50" && retry?["causes"] == "HTTP 503: 50")
        #expect(retry?["next_attempt"] == "\((Timestamp(millisecondsSince1970: 1_000_000) + .seconds(30)).rfc3339)")
        #expect(summaries.first { $0.message == "more deliveries failed" }?.metadata["count"] == "7")
        #expect(summaries.first { $0.message == "deliveries delivered" }?.metadata["count"] == "1000")
        #expect(counts.snapshot == [.warning: 5, .info: 1], "debug lines below the level are not written")
    }

    @Test func theStopWritesTheOpenWindow() throws {
        let lines = Lines()
        let logger = Logger(label: "test") { _ in Capture(lines: lines) }
        let logs = OutcomeLogs(now: { Timestamp(millisecondsSince1970: 0) }, logger: logger)
        logs.logouts.record(.succeeded, key: "idp", amount: 100, "logout accepted", level: .info, metadata: [:])
        logs.logouts.record(.succeeded, key: "idp", amount: 20, "logout accepted", level: .info, metadata: [:])
        logs.logouts.flush()
        #expect(lines.snapshot.isEmpty)
        logs.logouts.flush(all: true)
        let line = try #require(lines.snapshot.first)
        #expect(line.message == "logouts accepted" && line.level == .info)
        #expect(
            line.metadata["issuer"] == "idp" && line.metadata["count"] == "2" && line.metadata["deliveries"] == "120"
        )
    }

    @Test func theCountingHandlerCountsWhatItWritesByLevel() {
        let lines = Lines()
        let counts = LogLineCounts()
        var logger = Logger(label: "test") { _ in CountingLogHandler(Capture(lines: lines), counts: counts) }
        logger.logLevel = .notice
        logger.info("below the level")
        logger.notice("n")
        logger.warning("w")
        logger.warning("w")
        logger.error("e")
        #expect(counts.snapshot == [.notice: 1, .warning: 2, .error: 1])
        #expect(lines.snapshot.count == 4)
    }
}
