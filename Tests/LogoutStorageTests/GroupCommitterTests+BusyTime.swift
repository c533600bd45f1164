import Foundation
import GRDB
import Testing

@testable import LogoutStorage

extension GroupCommitterTests {
    /// The writer's busy time (`logoutd_store_writer_busy_seconds_total`) is counted per kind of
    /// transaction, each adding to its own: an acknowledged write's time is not the queue's.
    @Test func eachKindOfTransactionAddsToItsOwnBusyTime() async throws {
        let f = try Fixture()
        #expect(f.committer.busyTime == (.zero, .zero))
        _ = try await f.committer.write(.onDisk) { db in
            Thread.sleep(forTimeInterval: 0.03)
            return try Fixture.insert("a")(db)
        }
        let afterOnDisk = f.committer.busyTime
        #expect(afterOnDisk.onDisk >= .milliseconds(30) && afterOnDisk.redeliverable == .zero)
        _ = try await f.committer.write(.redeliverable) { db in
            Thread.sleep(forTimeInterval: 0.02)
            return try Fixture.insert("b")(db)
        }
        let afterQueue = f.committer.busyTime
        #expect(afterQueue.onDisk == afterOnDisk.onDisk)
        #expect(afterQueue.redeliverable >= .milliseconds(20))
        // A transaction that fails took the writer's time too.
        await #expect(throws: DatabaseError.self) {
            _ = try await f.committer.write(.onDisk) { db in
                Thread.sleep(forTimeInterval: 0.01)
                try db.execute(sql: "INSERT INTO orphans (parent) VALUES (42)")
            }
        }
        #expect(f.committer.busyTime.onDisk >= afterOnDisk.onDisk + .milliseconds(10))
    }
}
