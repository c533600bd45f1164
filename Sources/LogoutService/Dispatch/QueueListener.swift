import Logging
import LogoutPostgres
import ServiceLifecycle

/// Wakes this replica's idle dispatcher when any replica queues work in the shared store
/// (`LISTEN/NOTIFY`), instead of each polling the database.
struct QueueListener: Service {
    let store: PostgresStore
    let waker: Waker

    func run() async throws {
        await cancelWhenGracefulShutdown {
            await store.listenForQueue { [waker] in waker.signal() }
        }
    }
}
