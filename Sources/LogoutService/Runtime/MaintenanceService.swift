import Logging
import LogoutCore
import ServiceLifecycle

/// Purges what the registry and the log no longer need, every `interval`.
struct MaintenanceService: Service {
    let store: any MaintenanceStore
    let retention: Duration
    /// Rejected, deferred and duplicate events go sooner: anyone can cause them (SEC-4).
    let rejectedRetention: Duration
    let interval: Duration
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let counts = try await store.purge(
                    now: now(),
                    retention: retention,
                    rejectedRetention: rejectedRetention
                )
                logger.debug(
                    "purged",
                    metadata: [
                        "replay_records": "\(counts.replayRecords)", "sessions": "\(counts.sessions)",
                        "events": "\(counts.events)", "rejected_events": "\(counts.rejectedEvents)",
                    ]
                )
            } catch {
                logger.warning("purge failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
