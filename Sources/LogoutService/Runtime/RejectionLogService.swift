import Logging
import LogoutCore
import ServiceLifecycle

/// Commits the queued log of rejected requests a few times a second, when no acknowledged
/// logout has carried it along already (SEC-4), and counts what the full queue had to drop.
struct RejectionLogService: Service {
    let store: any IntakeStore
    let metrics: LogoutMetrics
    let logger: Logger
    var interval: Duration = .milliseconds(250)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            await flushOnce()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        await flushOnce()
    }

    func flushOnce() async {
        do {
            try await store.flushRejections()
        } catch {
            logger.warning("cannot write the log of rejected requests", metadata: ["error": "\(error)"])
        }
        metrics.rejectionsNotRecorded(store.takeDroppedRejections())
    }
}
