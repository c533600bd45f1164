import Dispatch
import Foundation
import GRDB
import LogoutCore
import Synchronization
import TestSupport
import Testing

@testable import LogoutStorage

/// The group commit (IN-17): items queued together commit in one transaction, each in its own
/// savepoint. An item that fails rolls back alone; a COMMIT that fails fails every member, so
/// none of them is answered as stored.
@Suite struct GroupCommitterTests {
    struct Refused: Error, Equatable {}

    /// A count several tasks share.
    final class Counter: Sendable {
        private let value = Atomic<Int>(0)
        func add() { value.add(1, ordering: .releasing) }
        var count: Int { value.load(ordering: .acquiring) }
    }

    /// Names in the order they were added, by several tasks.
    final class Names: Sendable {
        let list = Mutex<[String]>([])
    }

    /// Commits and rollbacks of the writer's transactions.
    final class Transactions: TransactionObserver, Sendable {
        let counts = Mutex((commits: 0, rollbacks: 0))

        func observes(eventsOfKind eventKind: DatabaseEventKind) -> Bool { true }
        func databaseDidChange(with event: DatabaseEvent) {}
        func databaseDidCommit(_ db: Database) { counts.withLock { $0.commits += 1 } }
        func databaseDidRollback(_ db: Database) { counts.withLock { $0.rollbacks += 1 } }
    }

    /// A fresh file with `items`, and `orphans` whose foreign key is checked at COMMIT only: an
    /// orphan passes its statement and its savepoint, and fails the transaction's COMMIT.
    struct Fixture {
        let folder = TemporaryDirectory()
        let pool: DatabasePool
        let committer: GroupCommitter
        let transactions = Transactions()

        init() throws {
            var configuration = Configuration()
            configuration.foreignKeysEnabled = true
            pool = try DatabasePool(path: folder.file("commit.sqlite3"), configuration: configuration)
            try pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE items (name TEXT PRIMARY KEY);
                        CREATE TABLE parents (id INTEGER PRIMARY KEY);
                        CREATE TABLE orphans (parent INTEGER REFERENCES parents(id) DEFERRABLE INITIALLY DEFERRED);
                        """
                )
            }
            pool.add(transactionObserver: transactions, extent: .observerLifetime)
            committer = GroupCommitter(writer: pool)
        }

        func names() throws -> Set<String> {
            Set(try pool.read { db in try String.fetchAll(db, sql: "SELECT name FROM items") })
        }

        static func insert(_ name: String) -> @Sendable (Database) throws -> String {
            { db in
                try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: [name])
                return name
            }
        }

        /// Runs `works` through the committer while a first write holds the writer, so that
        /// all of them are queued when it ends and its successor commits them together, with
        /// `background` items queued meanwhile. Returns each one's result, and how many
        /// transactions committed and rolled back for them (one of either when they were batched).
        func batch(
            _ works: [@Sendable (Database) throws -> String],
            background: [@Sendable (Database) throws -> Void] = []
        ) async throws -> (results: [Result<String, any Error>], commits: Int, rollbacks: Int) {
            let leader = await HeldWrite(committer)
            for item in background { #expect(committer.enqueueBackground(item)) }
            let before = transactions.counts.withLock { $0 }
            let calling = Counter()
            let tasks = works.map { work in
                Task { () -> Result<String, any Error> in
                    // Nothing suspends between this count and the item joining the queue.
                    calling.add()
                    do {
                        return .success(try await committer.write(.onDisk, work))
                    } catch {
                        return .failure(error)
                    }
                }
            }
            #expect(await eventually { calling.count == works.count })
            for _ in 0..<10 { await Task.yield() }
            leader.release()
            try await leader.task.value
            var results: [Result<String, any Error>] = []
            for task in tasks { results.append(await task.value) }
            let after = transactions.counts.withLock { $0 }
            return (results, after.commits - before.commits - 1, after.rollbacks - before.rollbacks)
        }
    }

    /// Runs `scenario` until its items were committed (or rolled back) in one transaction, at
    /// most 20 times: whether the items join the queue before the first write ends is up to the
    /// scheduler, so a run that split them is tried again (every run still checks its results).
    static func untilBatched(_ scenario: () async throws -> Bool) async throws {
        for _ in 0..<20 where try await scenario() { return }
        Issue.record("the items were never committed in one transaction")
    }

    /// A write that leads and holds the writer until `release()`, then runs `work`: what is
    /// written meanwhile queues behind it, for its successor to commit as one batch.
    struct HeldWrite {
        let task: Task<Void, any Error>
        private let hold: DispatchSemaphore

        init(
            _ committer: GroupCommitter,
            _ durability: GroupCommitter.Durability = .onDisk,
            then work: @escaping @Sendable (Database) throws -> Void = { _ in }
        ) async {
            let hold = DispatchSemaphore(value: 0)
            let holding = Counter()
            task = Task {
                try await committer.write(durability) { db in
                    holding.add()
                    hold.wait()
                    try work(db)
                }
            }
            self.hold = hold
            #expect(await eventually { holding.count == 1 })
        }

        func release() { hold.signal() }
    }

    /// A batch's savepoint journals stay in memory (no system call per page); every other write
    /// on the connection (the retention purge, cascading deletes) finds SQLite's default again,
    /// which spills a large journal to a file instead of holding it in memory.
    @Test func savepointJournalsStayInMemoryForABatchOnly() async throws {
        let f = try Fixture()
        let inside = try await f.committer.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(inside == 2)
        let outside = try await f.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA temp_store") }
        #expect(outside == 0)
    }

    @Test func oneFailingItemRollsBackAlone() async throws {
        try await Self.untilBatched {
            let f = try Fixture()
            let (results, commits, rollbacks) = try await f.batch([
                Fixture.insert("a"),
                { db in
                    try db.execute(sql: "INSERT INTO items (name) VALUES ('refused')")
                    throw Refused()
                },
                { db in
                    try db.execute(sql: "INSERT INTO items (name) VALUES ('broken')")
                    try db.execute(sql: "INSERT INTO no_such_table VALUES (1)")
                    return "broken"
                },
                Fixture.insert("b"),
            ])
            #expect(try results[0].get() == "a" && (try results[3].get()) == "b")
            #expect(throws: Refused.self) { try results[1].get() }
            #expect(throws: DatabaseError.self) { try results[2].get() }
            // Each failing item took back exactly its own rows; the others are stored.
            #expect(try f.names() == ["a", "b"])
            #expect(rollbacks == 0)
            return commits == 1
        }
    }

    @Test func aFailedCommitFailsEveryMemberAndStoresNothing() async throws {
        try await Self.untilBatched {
            let f = try Fixture()
            // A background item (the log of a rejected request) rides along, and is lost with
            // the transaction: counted as dropped, not retried in a later one.
            let (results, commits, rollbacks) = try await f.batch(
                [
                    Fixture.insert("a"),
                    { db in
                        try db.execute(sql: "INSERT INTO orphans (parent) VALUES (42)")
                        return "orphan"
                    },
                    Fixture.insert("b"),
                ],
                background: [{ db in try db.execute(sql: "INSERT INTO items VALUES ('log')") }]
            )
            let (background, dropped) = (f.committer.pendingBackgroundItems, f.committer.takeDroppedBackgroundCount())
            // Only a run where all of them met the failing COMMIT together counts.
            guard commits == 0, rollbacks == 1 else { return false }
            for (index, result) in results.enumerated() {
                let error = #expect(throws: DatabaseError.self, "member \(index) was answered as stored") {
                    try result.get()
                }
                #expect(error?.resultCode == .SQLITE_CONSTRAINT, "\(String(describing: error))")
            }
            #expect(try f.names().isEmpty, "a member of the failed transaction was stored")
            #expect(background == 0 && dropped == 1)
            // The committer is not wedged: the next write commits.
            #expect(try await f.committer.write(.onDisk, Fixture.insert("c")) == "c")
            #expect(try f.names() == ["c"])
            return true
        }
    }

    /// Queue work (claims, outcomes) is committed without an fsync, and nothing else is: the
    /// writes around it on the same connection, and an acknowledgement's batch, find FULL.
    @Test func queueWorkAloneRunsAtNormalSync() async throws {
        let f = try Fixture()
        let level = "PRAGMA synchronous"
        let queued = try await f.committer.write(.redeliverable) { db in try Int.fetchOne(db, sql: level) }
        #expect(queued == 1)
        let acknowledged = try await f.committer.write { db in try Int.fetchOne(db, sql: level) }
        #expect(acknowledged == 2)
        _ = try await f.committer.write(.redeliverable) { db in try Int.fetchOne(db, sql: level) }
        let other = try await f.pool.write { db in try Int.fetchOne(db, sql: level) }
        #expect(other == 2)
    }

    /// Writes queued in a known order behind a first one of kind `first`; each records its
    /// name and the sync level it ran under, in the order they ran.
    func order(
        after first: GroupCommitter.Durability,
        _ queued: [(String, GroupCommitter.Durability)]
    ) async throws -> [String] {
        let f = try Fixture()
        let committer = f.committer
        let ran = Names()
        let leader = await HeldWrite(committer, first)
        var tasks: [Task<Void, any Error>] = []
        for (index, (name, durability)) in queued.enumerated() {
            tasks.append(
                Task {
                    try await committer.write(durability) { db in
                        let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                        ran.list.withLock { $0.append("\(name)@\(level)") }
                    }
                }
            )
            #expect(
                await eventually { committer.waitingWrites.onDisk + committer.waitingWrites.redeliverable == index + 1 }
            )
        }
        leader.release()
        try await leader.task.value
        for task in tasks { try await task.value }
        return ran.list.withLock { $0 }
    }

    /// An acknowledgement queued behind queue work goes first, in a batch of its own with the
    /// fsync; the two kinds then take turns, so a stream of logouts never starves the queue.
    @Test func anAcknowledgementGoesAheadOfQueuedQueueWorkAndTheKindsTakeTurns() async throws {
        let afterQueueWork = try await order(
            after: .redeliverable,
            [("claim", .redeliverable), ("outcome", .redeliverable), ("logout", .onDisk)]
        )
        #expect(afterQueueWork == ["logout@2", "claim@1", "outcome@1"])
        let afterLogout = try await order(
            after: .onDisk,
            [("logout1", .onDisk), ("claim", .redeliverable), ("logout2", .onDisk)]
        )
        #expect(afterLogout == ["claim@1", "logout1@2", "logout2@2"])
    }

    /// The leader of a batch of queue work is cancelled (a request whose client went away, a
    /// task stopped): the batch still commits for everyone in it, and the connection is FULL
    /// again for the next write, which GRDB would refuse to put back from a cancelled task.
    @Test func aCancelledLeaderLeavesTheConnectionAtFull() async throws {
        let f = try Fixture()
        let committer = f.committer
        let leader = await HeldWrite(committer, .redeliverable) { db in
            try db.execute(sql: "INSERT INTO items (name) VALUES ('queued')")
        }
        leader.task.cancel()
        leader.release()
        _ = await leader.task.result
        #expect(try f.names() == ["queued"])
        let level = try await f.pool.write { db in try Int.fetchOne(db, sql: "PRAGMA synchronous") }
        #expect(level == 2)
    }

    /// A task already cancelled when it writes (its client left while the token was checked)
    /// leads the next batch, which holds another caller's write too: both reach the disk. The
    /// commit does not run in the leader's task, whose cancellation GRDB's async API would turn
    /// into a refused statement for everyone in the batch.
    @Test func aLeaderCancelledBeforeItWritesStillCommitsItsBatch() async throws {
        let f = try Fixture()
        let committer = f.committer
        let batchesBefore = committer.committedBatches.onDisk
        // The first writer leads and holds the writer, so the next two queue into one batch.
        let first = await HeldWrite(committer) { db in
            try db.execute(sql: "INSERT INTO items (name) VALUES ('first')")
        }
        let cancelled = Task {
            withUnsafeCurrentTask { $0?.cancel() }
            return try await committer.write(.onDisk) { db in
                try db.execute(sql: "INSERT INTO items (name) VALUES ('cancelled')")
                return Task.isCancelled
            }
        }
        #expect(await eventually { committer.waitingWrites.onDisk == 1 })
        let other = Task {
            try await committer.write(.onDisk) { db in
                try db.execute(sql: "INSERT INTO items (name) VALUES ('other')")
            }
        }
        #expect(await eventually { committer.waitingWrites.onDisk == 2 })
        first.release()
        try await first.task.value
        // The item itself ran outside the cancelled task.
        #expect(try await cancelled.value == false)
        try await other.value
        #expect(try f.names().sorted() == ["cancelled", "first", "other"])
        #expect(committer.committedBatches.onDisk - batchesBefore == 2)
    }
}
