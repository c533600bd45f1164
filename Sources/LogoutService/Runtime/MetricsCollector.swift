import Logging
import LogoutCore
import ServiceLifecycle
import Synchronization

/// Sets the gauges that describe the store rather than an event: the queue's depth and age, and
/// each RP's breaker (ADM-3), every `interval`; and brings `logoutd_log_lines_total` and the
/// single writer's busy time up to what was counted so far.
struct MetricsCollector: Service {
    let store: any LogoutStore
    let metrics: LogoutMetrics
    let now: @Sendable () -> Timestamp
    let logger: Logger
    var interval: Duration = .seconds(5)
    var lines: LogLineCounts = .shared
    private let exported = Exported()

    /// What `logoutd_log_lines_total` and `logoutd_store_writer_busy_seconds_total` already
    /// count: each collection exports only what was added since.
    private final class Exported: Sendable {
        let lines = Mutex<[Logger.Level: Int]>([:])
        let writerBusy = Mutex(WriterBusyTime(acknowledged: .zero, queue: .zero))
    }

    init(store: any LogoutStore, metrics: LogoutMetrics, now: @escaping @Sendable () -> Timestamp, logger: Logger) {
        self.store = store
        self.metrics = metrics
        self.now = now
        self.logger = logger
    }

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await collect()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func collect() async {
        let written = lines.snapshot
        let added = exported.lines.withLock { exported in
            defer { exported = written }
            return written.map { ($0.key, $0.value - (exported[$0.key] ?? 0)) }
        }
        for (level, count) in added { metrics.logLines(level: level, count) }
        do {
            let statistics = try await store.queueStatistics()
            metrics.queue(statistics, now: now())
            if let busy = statistics.writerBusy {
                // The larger of the two: a collection that read before another and locks after
                // it must not move the mark back, or the next one counts that time again.
                let before = exported.writerBusy.withLock { exported in
                    defer {
                        exported = WriterBusyTime(
                            acknowledged: max(exported.acknowledged, busy.acknowledged),
                            queue: max(exported.queue, busy.queue)
                        )
                    }
                    return exported
                }
                metrics.writerBusy(
                    WriterBusyTime(
                        acknowledged: busy.acknowledged - before.acknowledged,
                        queue: busy.queue - before.queue
                    )
                )
            }
            for rp in try await store.relyingParties() {
                metrics.breaker(clientID: rp.relyingParty.clientID, state: rp.breaker.state)
            }
        } catch {
            logger.debug("cannot read the queue for metrics", metadata: ["error": "\(error)"])
        }
    }
}
