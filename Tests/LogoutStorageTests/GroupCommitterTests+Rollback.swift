import GRDB
import Synchronization
import Testing

@testable import LogoutStorage

/// Items whose savepoint cannot do its work: the batch must fail whole, never commit a failed
/// item's changes nor commit later items on their own.
extension GroupCommitterTests {
    /// SQLite rolls back the whole transaction on an I/O error, a full disk or an interrupt; a
    /// `ROLLBACK` inside an item does the same here. The items after it must not run on their
    /// own (a savepoint outside a transaction opens and commits one) while being answered as
    /// failed: every member fails, and nothing is stored. (GRDB refuses their statements inside
    /// the transaction block; this holds the item savepoints to that.)
    @Test func anItemThatEndsTheTransactionFailsItsWholeBatch() async throws {
        try await Self.untilBatched {
            let f = try Fixture()
            let (results, commits, _) = try await f.batch([
                Fixture.insert("a"),
                { db in
                    try db.execute(sql: "INSERT INTO items (name) VALUES ('ending')")
                    try db.execute(sql: "ROLLBACK")
                    return "ending"
                },
                Fixture.insert("b"),
            ])
            guard commits <= 0 else { return false }
            for (index, result) in results.enumerated() {
                #expect(throws: (any Error).self, "member \(index) was answered as stored") { try result.get() }
            }
            #expect(try f.names().isEmpty, "an item was stored although its batch failed")
            #expect(try await f.committer.write(.onDisk, Fixture.insert("c")) == "c")
            #expect(try f.names() == ["c"])
            return true
        }
    }

    /// An item whose changes cannot be taken back (here it released its own savepoint, so
    /// `ROLLBACK TO` finds none) must not leave them in the batch: GRDB's `inSavepoint` ignored a
    /// failed rollback, and the item's rows were committed while it was answered as failed.
    @Test func anItemThatCannotBeRolledBackFailsItsWholeBatch() async throws {
        try await Self.untilBatched {
            let f = try Fixture()
            let (results, commits, rollbacks) = try await f.batch([
                Fixture.insert("a"),
                { db in
                    try db.execute(sql: "INSERT INTO items (name) VALUES ('unreleasable')")
                    try db.execute(sql: "RELEASE item")
                    throw Refused()
                },
                Fixture.insert("b"),
            ])
            // One transaction for the three: they were batched (else the scenario runs again).
            guard commits + rollbacks == 1 else { return false }
            #expect(rollbacks == 1, "the batch was committed with the failed item's rows")
            for (index, result) in results.enumerated() {
                #expect(throws: (any Error).self, "member \(index) was answered as stored") { try result.get() }
            }
            #expect(throws: GroupCommitter.ItemNotRolledBack.self) { try results[1].get() }
            #expect(try f.names().isEmpty, "a failed item's rows were committed")
            #expect(try await f.committer.write(.onDisk, Fixture.insert("c")) == "c")
            return true
        }
    }

    /// What an item changed beside the database is taken back when its transaction rolls back,
    /// in the writer before the next write; a transaction that commits runs no hook.
    @Test func anItemsRollbackHookRunsOnlyWhenItsTransactionRollsBack() async throws {
        let f = try Fixture()
        let committer = f.committer
        let ran = Names()
        await #expect(throws: (any Error).self) {
            try await committer.write(.redeliverable) { db in
                committer.onRollback { ran.list.withLock { $0.append("undone") } }
                // Checked at COMMIT: the transaction rolls back after the item succeeded.
                try db.execute(sql: "INSERT INTO orphans (parent) VALUES (42)")
            }
        }
        try await committer.write(.redeliverable) { db in
            ran.list.withLock { $0.append("next") }
            committer.onRollback { ran.list.withLock { $0.append("undone again") } }
            try db.execute(sql: "INSERT INTO items (name) VALUES ('kept')")
        }
        try await committer.write { db in try db.execute(sql: "INSERT INTO items (name) VALUES ('later')") }
        #expect(ran.list.withLock { $0 } == ["undone", "next"])
        #expect(try f.names() == ["kept", "later"])
    }
}
