import Logging
import LogoutCore
import ServiceLifecycle

/// Sets the gauges that describe the store rather than an event: the queue's depth and age, and
/// each RP's breaker (ADM-3), every `interval`.
struct MetricsCollector: Service {
    let store: any LogoutStore
    let metrics: LogoutMetrics
    let now: @Sendable () -> Timestamp
    let logger: Logger
    var interval: Duration = .seconds(5)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await collect()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    func collect() async {
        do {
            metrics.queue(try await store.queueStatistics(), now: now())
            for rp in try await store.relyingParties() {
                metrics.breaker(clientID: rp.relyingParty.clientID, state: rp.breaker.state)
            }
        } catch {
            logger.debug("cannot read the queue for metrics", metadata: ["error": "\(error)"])
        }
    }
}
