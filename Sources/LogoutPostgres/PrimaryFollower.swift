import Logging
import LogoutCore
import NIOCore
import PostgresNIO
import Synchronization

/// The connection pool of the server that accepts writes, among those `database.url` names.
///
/// postgres-nio's pool talks to one server. With a primary and its standbys named
/// (`target_session_attrs=read-write`), the pool is made for the first server that says it is
/// not in recovery; when an operation fails, the servers are asked again (at most once a
/// second), and if another one is the primary now (a standby promoted after a failover) a
/// pool for it takes the old one's place. The server in use is asked first and kept while it
/// takes writes: an old primary that comes back unfenced does not draw the replicas back to it.
/// Operations that were on the old pool fail, as they
/// would on a dead server: the caller answers 503 or retries. The old pool is left to idle
/// (it opens no connection unless asked, and closes idle ones) until the store stops: stopping
/// it would take a task of its own per pool, and the first pool's run must begin at once, in
/// the store's own task, or the first operations find it not running yet.
final class PrimaryFollower: Sendable {
    struct State {
        var client: PostgresClient
        var endpoint: PostgresLocation.Endpoint
        /// How many times the pool was replaced: a long-lived user of a connection (LISTEN)
        /// starts again on the new pool when it changes.
        var generation = 0
        var checking = false
        var lastCheck: ContinuousClock.Instant?
    }

    let location: PostgresLocation
    let makeClient: @Sendable (PostgresLocation.Endpoint) -> PostgresClient
    /// The server that takes writes, asking the one in use (its argument) first.
    let findPrimary: @Sendable (PostgresLocation.Endpoint) async -> PostgresLocation.Endpoint?
    let logger: Logger
    private let state: Mutex<State>
    private let first: PostgresClient
    private let pools: AsyncStream<PostgresClient>
    private let newPools: AsyncStream<PostgresClient>.Continuation

    /// - Parameter primary: the server to start with (the probe found it); the first named
    ///   when `nil`.
    init(
        location: PostgresLocation,
        primary: PostgresLocation.Endpoint?,
        logger: Logger,
        makeClient: @escaping @Sendable (PostgresLocation.Endpoint) -> PostgresClient,
        findPrimary: @escaping @Sendable (PostgresLocation.Endpoint) async -> PostgresLocation.Endpoint?
    ) {
        self.location = location
        self.logger = logger
        self.makeClient = makeClient
        self.findPrimary = findPrimary
        let endpoint = primary ?? location.endpoints[0]
        first = makeClient(endpoint)
        state = Mutex(State(client: first, endpoint: endpoint))
        (pools, newPools) = AsyncStream.makeStream()
    }

    var client: PostgresClient { state.withLock { $0.client } }
    var endpoint: PostgresLocation.Endpoint { state.withLock { $0.endpoint } }
    var generation: Int { state.withLock { $0.generation } }
    var followsPrimary: Bool { location.requiresPrimary && !location.alternates.isEmpty }

    /// Runs the first pool in this task, and each pool that takes its place in a task of its
    /// own, until graceful shutdown or cancellation ends them all.
    func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { [pools] in
                await withTaskGroup(of: Void.self) { later in
                    for await client in pools { later.addTask { await client.run() } }
                }
            }
            await first.run()
            newPools.finish()
        }
    }

    /// An operation failed: the primary may have moved. Asks the servers, at most once a
    /// second and one check at a time, and follows it.
    func operationFailed() {
        guard followsPrimary else { return }
        let now = ContinuousClock.now
        let start = state.withLock { state -> Bool in
            if state.checking { return false }
            if let last = state.lastCheck, now - last < .seconds(1) { return false }
            state.checking = true
            state.lastCheck = now
            return true
        }
        guard start else { return }
        Task {
            let primary = await findPrimary(endpoint)
            state.withLock { $0.checking = false }
            guard let primary, primary != endpoint else { return }
            replace(with: primary)
        }
    }

    private func replace(with endpoint: PostgresLocation.Endpoint) {
        let client = makeClient(endpoint)
        let previous = state.withLock { state in
            let previous = state.endpoint
            state.client = client
            state.endpoint = endpoint
            state.generation += 1
            return previous
        }
        logger.warning(
            "database: following the primary to another server",
            metadata: ["from": "\(previous.address)", "to": "\(endpoint.address)"]
        )
        newPools.yield(client)
    }
}
