import Foundation
import GRDB
import Testing

@testable import LogoutStorage

extension GroupCommitterTests {
    /// The writer's busy time (`logoutd_store_writer_busy_seconds_total`) is counted per kind of
    /// transaction, each adding to its own (an acknowledged write's time is not the queue's), and
    /// in the right unit: at least the work's own time, at most the caller's whole wait.
    @Test func eachKindOfTransactionAddsToItsOwnBusyTime() async throws {
        let f = try Fixture()
        let clock = ContinuousClock()
        #expect(f.committer.busyTime == (.zero, .zero))
        let onDiskWait = try await clock.measure {
            _ = try await f.committer.write(.onDisk) { db in
                Thread.sleep(forTimeInterval: 0.03)
                return try Fixture.insert("a")(db)
            }
        }
        let afterOnDisk = f.committer.busyTime
        #expect(afterOnDisk.onDisk >= .milliseconds(30) && afterOnDisk.onDisk <= onDiskWait)
        #expect(afterOnDisk.redeliverable == .zero)
        let queueWait = try await clock.measure {
            _ = try await f.committer.write(.redeliverable) { db in
                Thread.sleep(forTimeInterval: 0.02)
                return try Fixture.insert("b")(db)
            }
        }
        let afterQueue = f.committer.busyTime
        #expect(afterQueue.onDisk == afterOnDisk.onDisk)
        #expect(afterQueue.redeliverable >= .milliseconds(20) && afterQueue.redeliverable <= queueWait)
        // A transaction that fails (its COMMIT, on a deferred foreign key) took the writer's time too.
        await #expect(throws: DatabaseError.self) {
            _ = try await f.committer.write(.onDisk) { db in
                Thread.sleep(forTimeInterval: 0.01)
                try db.execute(sql: "INSERT INTO orphans (parent) VALUES (42)")
            }
        }
        #expect(f.committer.busyTime.onDisk >= afterOnDisk.onDisk + .milliseconds(10))
    }
}
