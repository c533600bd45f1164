import Logging
import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// Calls `onNotify` for every notification on the queue channel (a logout recorded, a
    /// redelivery, leases handed back by any replica) until the task is cancelled. A lost
    /// connection is opened again after `retry`, and `onNotify` is called once it is back,
    /// since notifications sent meanwhile are gone.
    public func listenForQueue(retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async {
        await listen(to: Self.queueChannel, retry: retry, onNotify)
    }

    /// Calls `onNotify` whenever any replica changed the issuers (and once after a lost
    /// connection is back): each replica keeps them in memory to check tokens.
    public func listenForRegistry(retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async {
        await listen(to: Self.registryChannel, retry: retry, onNotify)
    }

    private func listen(to channel: String, retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            do {
                try await client.withConnection { connection in
                    try await connection.listen(on: channel) { notifications in
                        onNotify()
                        for try await _ in notifications { onNotify() }
                    }
                }
            } catch {
                if Task.isCancelled { return }
                logger.warning(
                    "listening for notifications of the other replicas failed; trying again",
                    metadata: ["channel": "\(channel)", "error": "\(Self.describe(error))"]
                )
            }
            try? await Task.sleep(for: retry)
        }
    }
}
