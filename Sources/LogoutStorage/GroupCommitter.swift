import GRDB
import Synchronization

/// Commits concurrent writes together: one transaction, one fsync, many callers.
///
/// An fsync'd commit costs milliseconds, so a transaction per acknowledged logout caps intake at a
/// few hundred per second. Callers here queue their work; whoever finds no commit running becomes
/// the leader, commits everything queued (each item in its own savepoint, so one failing item
/// rolls back alone), wakes the others with their results, and hands leadership to the next
/// waiter if more work arrived meanwhile. No caller is answered before the commit that holds its
/// work has returned, and no task runs beyond the callers' own: a batch's transaction runs on
/// the writer's queue outside any task, so that a caller's cancellation cannot reach the others'
/// writes.
///
/// Background items (the log of rejected requests) wait for no one: they are queued, bounded,
/// and ride along in the next transaction a leader commits anyway, after its own items, so they
/// add rows to a commit but never a commit of their own in front of an acknowledgement. A
/// periodic `flushBackground()` commits them when nothing else is being written.
///
/// The queue's own writes (claims, attempts' outcomes) are `redeliverable`: losing one in a
/// power cut only makes a delivery be attempted again, so they are committed without an fsync
/// and in transactions of their own, never in an acknowledgement's. The two kinds take turns:
/// an acknowledgement waits behind at most the transaction running and one batch of queue work,
/// which no longer includes a disk flush, and a stream of logouts never starves the queue. A
/// batch of queue work is bounded in time as well as in items: once it has run `queueBudget`
/// and an acknowledgement waits, it commits what it has done and leaves the rest of its items
/// to its next turn, so an acknowledgement waits behind one item past the budget, not behind
/// however many items a busy dispatcher queued.
final class GroupCommitter: Sendable {
    private let writer: any DatabaseWriter
    private let state = Mutex(State())
    /// Upper bound of items in one transaction, so that one commit stays short.
    private let maximumBatch: Int
    /// Upper bound of background items waiting, and of those added to one transaction.
    private let maximumBackground: Int
    private let maximumBackgroundPerBatch: Int
    /// How long a batch of queue work runs before it gives way to a waiting acknowledgement.
    private let queueBudget: Duration

    init(
        writer: any DatabaseWriter,
        maximumBatch: Int = 512,
        maximumBackground: Int = 4096,
        maximumBackgroundPerBatch: Int = 256,
        queueBudget: Duration = .milliseconds(1)
    ) {
        self.writer = writer
        self.maximumBatch = maximumBatch
        self.maximumBackground = maximumBackground
        self.maximumBackgroundPerBatch = maximumBackgroundPerBatch
        self.queueBudget = queueBudget
    }

    /// Queues a write nobody waits for. Returns false when the queue is full and the item was
    /// dropped (counted in `droppedBackgroundItems`).
    @discardableResult
    func enqueueBackground(_ work: @escaping @Sendable (Database) throws -> Void) -> Bool {
        state.withLock { state in
            guard state.background.count < maximumBackground else {
                state.droppedBackground += 1
                return false
            }
            state.background.append(work)
            return true
        }
    }

    var pendingBackgroundItems: Int { state.withLock { $0.background.count } }

    /// Batches committed of each kind since the start, for tests of who writes how.
    var committedBatches: (onDisk: Int, redeliverable: Int) {
        (onDiskBatches.load(ordering: .relaxed), redeliverableBatches.load(ordering: .relaxed))
    }
    private let onDiskBatches = Atomic<Int>(0)
    private let redeliverableBatches = Atomic<Int>(0)

    /// Time the writer spent in each kind's transactions since the start (from the writer's
    /// first statement to its commit returned; waiting for the writer is not in it). The writer
    /// is one thread: its share of the wall clock is how close the store is to queueing
    /// acknowledgements behind each other, which neither the queue's depth nor the CPU shows.
    var busyTime: (onDisk: Duration, redeliverable: Duration) {
        (.nanoseconds(onDiskBusy.load(ordering: .relaxed)), .nanoseconds(redeliverableBusy.load(ordering: .relaxed)))
    }
    private let onDiskBusy = Atomic<Int64>(0)
    private let redeliverableBusy = Atomic<Int64>(0)

    private static func synchronous(_ durability: Durability) -> String {
        durability == .onDisk ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL"
    }

    /// An item of queue work that can stop part-way asks whether to give way.
    var acknowledgementWaits: Bool { state.withLock { !$0.onDisk.isEmpty } }

    /// Writes queued behind the one committing, of each kind.
    var waitingWrites: (onDisk: Int, redeliverable: Int) {
        state.withLock { ($0.onDisk.count, $0.redeliverable.count) }
    }

    /// Background items dropped since the last call, because the queue was full.
    func takeDroppedBackgroundCount() -> Int {
        state.withLock { state in
            defer { state.droppedBackground = 0 }
            return state.droppedBackground
        }
    }

    /// What the items of the transaction running undo in memory if it rolls back, run in the
    /// writer before any other write: a change an item made beside the database (a lease) must
    /// not outlive the rows it went with, nor be taken back after a later write relied on it.
    private let rollbackHooks = Mutex<[@Sendable () -> Void]>([])

    /// Called by an item, inside its write: `hook` runs if the transaction rolls back.
    func onRollback(_ hook: @escaping @Sendable () -> Void) {
        rollbackHooks.withLock { $0.append(hook) }
    }

    /// Commits queued background items now (a no-op when none wait).
    func flushBackground() async throws {
        guard pendingBackgroundItems > 0 else { return }
        try await write { _ in }
    }

    func write<T: Sendable>(
        _ durability: Durability = .onDisk,
        _ work: @escaping @Sendable (Database) throws -> T
    ) async throws -> T {
        let pending = Pending(work: work)
        let signal = await withCheckedContinuation { (continuation: CheckedContinuation<Signal, Never>) in
            let leadNow = state.withLock { state -> Bool in
                state.append(pending, durability)
                if state.leading {
                    pending.continuation = continuation
                    return false
                }
                state.leading = true
                return true
            }
            if leadNow { continuation.resume(returning: .lead) }
        }
        if signal == .lead {
            await lead(until: pending)
        }
        guard let result = pending.result else {
            preconditionFailure("group commit finished without a result")
        }
        return try result.get() as! T
    }

    /// Commits batches, the kinds taking turns, until `own` is done, then hands the lead to the
    /// first waiter of the next batch's kind (whose own batch it will then be).
    private func lead(until own: Pending) async {
        while own.result == nil {
            let (batch, background, durability) = state.withLock { state in
                let durability = state.next ?? .onDisk
                let batch = state.take(durability, atMost: maximumBatch)
                let backgroundCount = min(state.background.count, maximumBackgroundPerBatch)
                let background = Array(state.background.prefix(backgroundCount))
                state.background.removeFirst(backgroundCount)
                return (batch, background, durability)
            }
            await commit(batch, background, durability)
        }
        let next = state.withLock { state -> CheckedContinuation<Signal, Never>? in
            guard let first = state.nextLeader else {
                state.leading = false
                return nil
            }
            let continuation = first.continuation
            first.continuation = nil
            return continuation
        }
        next?.resume(returning: .lead)
    }

    private func addBusyTime(_ time: Duration, _ durability: Durability) {
        let nanoseconds = time.components.seconds * 1_000_000_000 + time.components.attoseconds / 1_000_000_000
        switch durability {
        case .onDisk: onDiskBusy.add(nanoseconds, ordering: .relaxed)
        case .redeliverable: redeliverableBusy.add(nanoseconds, ordering: .relaxed)
        }
    }

    /// Runs `work` on the writer's queue through GRDB's callback API, outside any task: the
    /// leader's cancellation (a request whose client left) must not fail the others' writes in
    /// its batch, nor stop the statement that puts the connection back to FULL, and GRDB's
    /// async API refuses every statement of a cancelled task. It used to take a task of its own
    /// for that, two more hand-overs between threads per commit; below saturation a logout has
    /// a commit to itself and pays for each (docs/benchmarks.md, issue 24's eleventh slice).
    private func onWriter<T: Sendable>(_ work: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withCheckedContinuation { (continuation: CheckedContinuation<Result<T, any Error>, Never>) in
            writer.asyncWriteWithoutTransaction { db in
                continuation.resume(returning: Result { try work(db) })
            }
        }.get()
    }

    /// One transaction for `batch`, whose members (but the leader) are woken with their results.
    private func commit(
        _ batch: [Pending],
        _ background: [@Sendable (Database) throws -> Void],
        _ durability: Durability
    ) async {
        let works = batch.map(\.work)
        var results: [Result<any Sendable, any Error>]
        // Where the batch gave way to an acknowledgement: the items from there on, and the
        // background items, did not run, whatever becomes of the transaction.
        let gaveWay = GaveWay()
        do {
            results = try await onWriter { db in
                let started = ContinuousClock.now
                defer { self.addBusyTime(started.duration(to: .now), durability) }
                // Each item runs in a savepoint, whose journal (the page images its rollback
                // needs) SQLite spills to a temporary file past 64 KiB: strace of a fan-out
                // counted 9 of 14 pwrite calls per delivery there. Kept in memory for this
                // transaction only, whose size the batch bounds (the purge's items too: each is
                // a millisecond of deletes); other writes (an issuer deleted with its sessions,
                // a migration) can touch far more pages and keep the spill. The journal is
                // never read after a crash (the WAL is): nothing durable changes.
                try? db.cachedStatement(sql: "PRAGMA temp_store = MEMORY").execute()
                defer { try? db.cachedStatement(sql: "PRAGMA temp_store = DEFAULT").execute() }
                // Every other write on this connection finds FULL again, which the connection
                // was opened with; an onDisk batch sets it itself rather than trust that.
                try db.cachedStatement(sql: Self.synchronous(durability)).execute()
                defer {
                    if durability == .redeliverable {
                        try? db.cachedStatement(sql: Self.synchronous(.onDisk)).execute()
                    }
                }
                var results: [Result<any Sendable, any Error>] = []
                results.reserveCapacity(works.count)
                let budgetEnds = started + self.queueBudget
                self.rollbackHooks.withLock { $0 = [] }
                do {
                    try db.inTransaction {
                        try Self.run(works, background, results: &results, db) { done in
                            guard
                                durability == .redeliverable && ContinuousClock.now >= budgetEnds
                                    && self.state.withLock({ !$0.onDisk.isEmpty })
                            else { return false }
                            gaveWay.at = done
                            return true
                        }
                        return .commit
                    }
                } catch {
                    for hook in self.rollbackHooks.withLock({ $0 }) { hook() }
                    throw error
                }
                self.rollbackHooks.withLock { $0 = [] }
                return results
            }
        } catch {
            // The transaction as a whole failed (busy, full, I/O): nothing of the batch is
            // stored, and what ran of it fails.
            let ran = gaveWay.at ?? batch.count
            results = Array(repeating: .failure(error), count: ran)
            if ran == batch.count { state.withLock { $0.droppedBackground += background.count } }
        }
        let stoppedAt = gaveWay.at
        switch durability {
        case .onDisk: onDiskBatches.add(1, ordering: .relaxed)
        case .redeliverable: redeliverableBatches.add(1, ordering: .relaxed)
        }
        for (pending, result) in zip(batch, results) {
            pending.result = result
        }
        // The items (and background items) the budget left out go first at their next turn, in
        // their order.
        if let stoppedAt {
            state.withLock { state in
                state.redeliverable.insert(contentsOf: batch[stoppedAt...], at: 0)
                state.background.insert(contentsOf: background, at: 0)
            }
        }
        for pending in batch[..<results.count] {
            if let continuation = pending.continuation {
                pending.continuation = nil
                continuation.resume(returning: .done)
            }
        }
    }
}
