import ServiceLifecycle

/// Writes the summaries of ADM-4's digests when their window closes: it looks every `interval`,
/// and at the stop writes what is left. It runs at the front of the group, so it stops after
/// the dispatchers and the listeners: the last outcomes are in the last summaries.
struct OutcomeLogService: Service {
    let logs: [OutcomeLog]
    var interval: Duration = .seconds(1)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            for log in logs { log.flush() }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
        for log in logs { log.flush(all: true) }
    }
}
