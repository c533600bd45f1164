import Logging
import Synchronization

@testable import LogoutPostgres

/// How these tests hold a PostgreSQL store without a service group: `open` connects, starts the
/// pool's `run()` in a task of its own and migrates, as the daemon's store service and its
/// preparation do; `close()` cancels that task, which closes the pool. A store a test never
/// closes (the conformance suite's) runs until the test process ends.
extension PostgresStore {
    private static let runners = Mutex<[ObjectIdentifier: Task<Void, Never>]>([:])

    static func open(
        _ location: PostgresLocation,
        password: String?,
        owner: String,
        perRPLeaseCap: Int = 8,
        operationTimeout: Duration = .seconds(5),
        maximumConnections: Int = 16,
        logger: Logger
    ) async throws -> PostgresStore {
        let store = try await connect(
            location,
            password: password,
            owner: owner,
            perRPLeaseCap: perRPLeaseCap,
            operationTimeout: operationTimeout,
            maximumConnections: maximumConnections,
            logger: logger
        )
        let runner = Task { await store.run() }
        runners.withLock { $0[ObjectIdentifier(store)] = runner }
        do {
            try await store.migrate()
        } catch {
            store.close()
            throw error
        }
        return store
    }

    func close() {
        Self.runners.withLock { $0.removeValue(forKey: ObjectIdentifier(self)) }?.cancel()
    }
}
