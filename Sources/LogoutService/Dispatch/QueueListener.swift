import Logging
import LogoutCore
import ServiceLifecycle

/// Wakes this replica's idle dispatcher when any replica queues work in the shared store
/// (`LISTEN/NOTIFY`), instead of each polling the database.
struct QueueListener: Service {
    let store: any SharedStore
    let wakers: QueueWakers
    var retry: Duration = .seconds(1)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.listenForQueue(retry: retry) { [wakers] in wakers.all() }
        }
    }
}

/// Reloads this replica's issuers when any replica registers, changes or removes one: tokens
/// are checked against the issuers in memory, which would otherwise stay as they were at start.
struct RegistryListener: Service {
    let store: any SharedStore
    let directory: IssuerDirectory
    let logger: Logger
    var retry: Duration = .seconds(1)

    func run() async throws {
        // One reload at a time, the latest request kept: a reload never ends on an older state
        // than one that started after it.
        let (requests, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask {
                    await store.listenForRegistry(retry: retry) { continuation.yield() }
                    continuation.finish()
                }
                group.addTask {
                    for await _ in requests {
                        do {
                            try await directory.reload(from: store)
                        } catch {
                            logger.warning(
                                "cannot reload the issuers another replica changed",
                                metadata: ["error": "\(error)"]
                            )
                        }
                    }
                }
            }
        }
    }
}
