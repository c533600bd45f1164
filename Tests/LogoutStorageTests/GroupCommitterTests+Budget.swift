import Dispatch
import Foundation
import GRDB
import Synchronization
import TestSupport
import Testing

@testable import LogoutStorage

/// A batch of queue work gives way to an acknowledgement once it has run its budget: the
/// acknowledgement waits behind one item past the budget, not behind the whole batch.
extension GroupCommitterTests {
    /// Four queue items of 10 ms each queued in one batch behind a held acknowledgement, a
    /// background item, and a second acknowledgement that comes while the first item runs, on a
    /// committer whose budget is 5 ms. `first` is the first item's own write. Returns the order
    /// things ran in, the transactions committed from the first item on, and each item's result.
    func giveWay(
        first: @escaping @Sendable (Database) throws -> Void
    ) async throws -> (ran: [String], commits: Int, results: [Result<Void, any Error>], f: Fixture) {
        let f = try Fixture()
        let committer = GroupCommitter(writer: f.pool, queueBudget: .milliseconds(5))
        let ran = Names()
        let leader = await HeldWrite(committer)
        let started = Counter()
        var queued: [Task<Void, any Error>] = []
        for index in 1...4 {
            queued.append(
                Task {
                    try await committer.write(.redeliverable) { db in
                        started.add()
                        // The first runs until the acknowledgement waits, then 10 ms more.
                        let deadline = Date() + 10
                        while index == 1 && committer.waitingWrites.onDisk == 0 && Date() < deadline {
                            Thread.sleep(forTimeInterval: 0.001)
                        }
                        Thread.sleep(forTimeInterval: 0.010)
                        if index == 1 { try first(db) }
                        try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: ["q\(index)"])
                        ran.list.withLock { $0.append("q\(index)") }
                    }
                }
            )
            #expect(await eventually { committer.waitingWrites.redeliverable == index })
        }
        #expect(
            committer.enqueueBackground { db in
                try db.execute(sql: "INSERT INTO items (name) VALUES ('background')")
                ran.list.withLock { $0.append("background") }
            }
        )
        leader.release()
        try await leader.task.value
        let commitsBefore = f.transactions.counts.withLock { $0.commits }
        #expect(await eventually { started.count >= 1 })
        let logout = Task {
            try await committer.write(.onDisk) { db in
                let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                ran.list.withLock { $0.append("logout@\(level)") }
            }
        }
        try await logout.value
        var results: [Result<Void, any Error>] = []
        for task in queued { results.append(await task.result) }
        #expect(committer.waitingWrites.onDisk + committer.waitingWrites.redeliverable == 0)
        #expect(committer.pendingBackgroundItems == 0)
        let commits = f.transactions.counts.withLock { $0.commits } - commitsBefore
        return (ran.list.withLock { $0 }, commits, results, f)
    }

    /// The acknowledgement goes second, and the background item, left out of the batch that
    /// gave way, rides along in its transaction; with none waiting to give way to, the last
    /// three items run in one transaction, past their budget.
    @Test func queueWorkGivesWayToAnAcknowledgementOnceItsBudgetIsSpent() async throws {
        let run = try await giveWay { _ in }
        #expect(run.ran == ["q1", "logout@2", "background", "q2", "q3", "q4"])
        #expect(try run.f.names() == ["q1", "q2", "q3", "q4", "background"])
        #expect(run.commits == 3, "q1; the logout and the background item; q2 to q4 together")
        #expect(run.results.allSatisfy { (try? $0.get()) != nil })
    }

    /// A transaction that fails after giving way (its COMMIT refused: an orphan row whose key is
    /// checked at COMMIT) fails only the item that ran in it: the others, and the background
    /// item, run in a later one and are stored.
    @Test func aBatchThatGaveWayAndFailedFailsOnlyWhatRan() async throws {
        let run = try await giveWay { db in try db.execute(sql: "INSERT INTO orphans (parent) VALUES (42)") }
        #expect(run.ran == ["q1", "logout@2", "background", "q2", "q3", "q4"])
        #expect(try run.f.names() == ["q2", "q3", "q4", "background"])
        #expect(run.results.map { (try? $0.get()) != nil } == [false, true, true, true])
    }
}
