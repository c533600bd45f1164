import Logging
import LogoutCore
import ServiceLifecycle

/// Purges what the registry and the log no longer need, every `interval`.
struct MaintenanceService: Service {
    let store: any MaintenanceStore & SharedSignalsStore
    let retention: Duration
    /// Rejected, deferred and duplicate events go sooner: anyone can cause them (SEC-4).
    let rejectedRetention: Duration
    /// How long SETs are kept for their streams (`ssf.retention`).
    let securityEventRetention: Duration
    let interval: Duration
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                // Stopped at shutdown: the purge commits turn by turn, and the next start goes on
                // where it stopped, rather than keeping systemd waiting (`TimeoutStopSec`).
                let counts = try await cancelWhenGracefulShutdown {
                    try await store.purge(now: now(), retention: retention, rejectedRetention: rejectedRetention)
                }
                logger.debug(
                    "purged",
                    metadata: [
                        "replay_records": "\(counts.replayRecords)", "sessions": "\(counts.sessions)",
                        "events": "\(counts.events)", "rejected_events": "\(counts.rejectedEvents)",
                    ]
                )
            } catch is CancellationError where Task.isCancelled || Task.isShuttingDownGracefully {
                return  // Stopping is not a failure.
            } catch {
                logger.warning("purge failed", metadata: ["error": "\(error)"])
            }
            do {
                let (deleted, undelivered) = try await cancelWhenGracefulShutdown {
                    try await store.purgeSecurityEvents(before: now() - securityEventRetention)
                }
                if undelivered > 0 {
                    logger.warning(
                        "undelivered SETs expired",
                        metadata: [
                            "count": "\(undelivered)", "retention": "\(formatDuration(securityEventRetention))",
                        ]
                    )
                }
                logger.debug("purged SETs", metadata: ["sets": "\(deleted)"])
            } catch is CancellationError where Task.isCancelled || Task.isShuttingDownGracefully {
                return
            } catch {
                logger.warning("SET purge failed", metadata: ["error": "\(error)"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
