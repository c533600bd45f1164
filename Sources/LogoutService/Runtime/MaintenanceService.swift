import Foundation
import Logging
import LogoutStorage
import ServiceLifecycle

/// Purges what the registry and the log no longer need, every `interval`.
struct MaintenanceService: Service {
    let database: LogoutDatabase
    let retention: Double
    /// Rejected, deferred and duplicate events go sooner: anyone can cause them (SEC-4).
    let rejectedRetention: Double
    let interval: Double
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let current = now()
            do {
                let counts = try await database.purge(
                    now: current,
                    retentionCutoff: current.addingTimeInterval(-retention),
                    rejectedCutoff: current.addingTimeInterval(-rejectedRetention)
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
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}
