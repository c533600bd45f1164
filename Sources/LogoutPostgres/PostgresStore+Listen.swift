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

    /// After a failover the listening starts again on the new primary's pool: the old one's
    /// server may be gone (its connection would wait for the pool's own breaker) or alive and
    /// demoted, where nobody notifies any more.
    private func listen(to channel: String, retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async {
        while !Task.isCancelled {
            let (generation, client) = (pools.generation, self.client)
            do {
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        try await client.withConnection { connection in
                            try await connection.listen(on: channel) { notifications in
                                onNotify()
                                for try await _ in notifications { onNotify() }
                            }
                        }
                    }
                    if pools.followsPrimary {
                        group.addTask { [pools] in
                            while pools.generation == generation { try await Task.sleep(for: .milliseconds(250)) }
                        }
                    }
                    try await group.next()
                    group.cancelAll()
                }
                if pools.generation != generation { continue }
            } catch {
                if Task.isCancelled { return }
                if Self.mayMeanAnotherPrimary(error) { pools.operationFailed() }
                logger.warning(
                    "listening for notifications of the other replicas failed; trying again",
                    metadata: ["channel": "\(channel)", "error": "\(Self.describe(error))"]
                )
            }
            try? await Task.sleep(for: retry)
        }
    }
}
