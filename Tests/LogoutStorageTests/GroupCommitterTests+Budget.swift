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
    /// Queue items of 10 ms each, four of them in one batch, and an acknowledgement that comes
    /// while the first runs: with a budget of 5 ms it goes second; with none waiting, the batch
    /// does not stop (the last three run in one transaction, past their budget).
    @Test func queueWorkGivesWayToAnAcknowledgementOnceItsBudgetIsSpent() async throws {
        let f = try Fixture()
        let committer = GroupCommitter(writer: f.pool, queueBudget: .milliseconds(5))
        let ran = Names()
        let hold = DispatchSemaphore(value: 0)
        let holding = Counter()
        let leader = Task {
            try await committer.write(.onDisk) { _ in
                holding.add()
                hold.wait()
            }
        }
        #expect(await eventually { holding.count == 1 })
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
                        try db.execute(sql: "INSERT INTO items (name) VALUES (?)", arguments: ["q\(index)"])
                        ran.list.withLock { $0.append("q\(index)") }
                    }
                }
            )
            #expect(await eventually { committer.waitingWrites.redeliverable == index })
        }
        hold.signal()
        try await leader.value
        let commitsBefore = f.transactions.counts.withLock { $0.commits }
        #expect(await eventually { started.count >= 1 })
        let logout = Task {
            try await committer.write(.onDisk) { db in
                let level = try Int.fetchOne(db, sql: "PRAGMA synchronous") ?? -1
                ran.list.withLock { $0.append("logout@\(level)") }
            }
        }
        try await logout.value
        for task in queued { try await task.value }
        #expect(ran.list.withLock { $0 } == ["q1", "logout@2", "q2", "q3", "q4"])
        #expect(try f.names() == ["q1", "q2", "q3", "q4"])
        let commits = f.transactions.counts.withLock { $0.commits } - commitsBefore
        #expect(commits == 3, "q1; the logout; q2 to q4 together, with nothing waiting to give way to")
        #expect(committer.waitingWrites.onDisk + committer.waitingWrites.redeliverable == 0)
    }
}
