import Foundation
import Logging
import LogoutStorage
import ServiceLifecycle

/// Purges what the registry and the log no longer need, every `interval`.
struct MaintenanceService: Service {
    let database: LogoutDatabase
    let retention: Double
    let interval: Double
    let now: @Sendable () -> Date
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let current = now()
            do {
                let counts = try await database.purge(
                    now: current,
                    retentionCutoff: current.addingTimeInterval(-retention)
                )
                logger.debug(
                    "purged",
                    metadata: [
                        "replay_records": "\(counts.replayRecords)", "sessions": "\(counts.sessions)",
                        "events": "\(counts.events)",
                    ]
                )
            } catch {
                logger.warning("purge failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
    }
}
