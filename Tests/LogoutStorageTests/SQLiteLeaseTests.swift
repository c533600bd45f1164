import Foundation
import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// SQLite's leases live in the process (`DeliveryLeases`): a claim writes nothing to the file,
/// and a process that is gone holds none.
@Suite struct SQLiteLeaseTests {
    /// Five deliveries to each of two RPs, due at `f.now`.
    func queuedFixture() async throws -> (StoreFixture, LogoutDatabase) {
        let f = try await StoreFixture.make(.sqlite)
        let db = f.store as! LogoutDatabase
        for rp in ["a", "b"] {
            try await db.insertRelyingParty(f.rp(rp))
            for index in 0..<5 { _ = try await db.insertSession(f.session(rp, sub: "u\(index)"), now: f.now) }
        }
        for index in 0..<5 {
            _ = try await db.recordLogout(f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"), now: f.now)
        }
        // The logouts' plans are made into rows (writes) right after them: done, so that what
        // follows sees the claims alone.
        try await db.expandFanOutPlans()
        await db.fanOutExpansionSettled()
        return (f, db)
    }

    /// The same, claimed; with what was claimed.
    func claimedFixture() async throws -> (StoreFixture, LogoutDatabase, [ClaimedDelivery]) {
        let (f, db) = try await queuedFixture()
        return (f, db, try await db.claimDue(f.claim(), now: f.now))
    }

    /// Another connection sees `data_version` change with every commit that changed the file,
    /// and only then.
    @Test func aClaimWritesNothingToTheFile() async throws {
        let (f, db) = try await queuedFixture()
        let observer = try DatabaseQueue(path: db.path)
        func state() throws -> (version: Int, rows: [Row]) {
            try observer.read { db in
                (
                    try Int.fetchOne(db, sql: "PRAGMA data_version") ?? -1,
                    try Row.fetchAll(db, sql: "SELECT * FROM deliveries ORDER BY id")
                )
            }
        }
        let before = try state()
        let claimed = try await db.claimDue(f.claim(), now: f.now + .seconds(1))
        #expect(claimed.count == 10)
        let after = try state()
        #expect(after.rows == before.rows, "no row changed")
        #expect(after.version == before.version, "no commit changed the file")
        // The outcome is a write, of course.
        try await db.recordAttempt(
            AttemptReport(
                deliveryID: claimed[0].id,
                clientID: claimed[0].clientID,
                attempt: nil,
                transition: .skipped(attempts: 0, reason: "test", at: f.now + .seconds(2))
            )
        )
        #expect(try state().version != after.version)
    }

    /// A crash ends the process's leases with it: the same file opened again (the next start)
    /// finds every claimed delivery due at once, at its stored time.
    @Test func aNewProcessFindsTheClaimedDeliveriesDue() async throws {
        let (f, db, claimed) = try await claimedFixture()
        #expect(claimed.count == 10)
        #expect(try await db.claimDue(f.claim(), now: f.now + .seconds(1)).isEmpty)
        let restarted = try LogoutDatabase(path: db.path)
        #expect(try await restarted.nextDueAt() == f.now)
        #expect(try await restarted.queueStatistics().inFlight == 0)
        let again = try await restarted.claimDue(f.claim(), now: f.now + .seconds(1))
        #expect(Set(again.map(\.id)) == Set(claimed.map(\.id)))
    }

    /// A claim whose write fails hands back the leases it took: nothing it read reaches an
    /// attempt, and nothing is held back until the leases would have run out.
    @Test func aFailedClaimHoldsNoLease() async throws {
        let (f, db, claimed) = try await claimedFixture()
        try await db.releaseLeases(ids: claimed.map(\.id), now: f.now)
        #expect(db.leases.all().isEmpty)
        // An open breaker due to probe is saved by the claim that lets the probe through (after
        // `a`'s leases are taken, in client-id order): make that save fail.
        try await db.pool.write { db in
            try db.execute(
                sql: """
                    INSERT OR REPLACE INTO breakers (client_id, state, consecutive_failures, since, next_probe_at)
                    VALUES ('b', 'open', 5, 0, 0);
                    CREATE TRIGGER refuse_breakers BEFORE INSERT ON breakers
                    BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    CREATE TRIGGER refuse_breaker_updates BEFORE UPDATE ON breakers
                    BEGIN SELECT RAISE(ABORT, 'refused'); END;
                    """
            )
        }
        await #expect(throws: (any Error).self) { try await db.claimDue(f.claim(), now: f.now + .seconds(1)) }
        #expect(db.leases.all().isEmpty, "the leases taken before the failure end with it")
    }
}

/// Leases taken back after a failed write: once, and never over a lease taken since.
@Suite struct DeliveryLeasesUndoTests {
    let now = StoreFixture.now

    @Test func aFailedWritesChangesAreTakenBackOnceAndNotOverNewerOnes() {
        let leases = DeliveryLeases()
        let first = DeliveryLeases.Lease(leasedAt: now, until: now + .seconds(40))
        leases.add([1, 2], clientID: "a", first)
        let undo = DeliveryLeases.Undo()
        leases.end([1], undo: undo)
        leases.add([3, 4], clientID: "a", first, undo: undo)
        // Before the undo, 4's lease expired and a later claim took it again.
        let later = DeliveryLeases.Lease(leasedAt: now + .seconds(41), until: now + .seconds(81))
        leases.add([4], clientID: "a", later)
        leases.undo(undo)
        #expect(leases.all() == [1: first, 2: first, 4: later], "1 back, 3 ended, 4 kept as retaken")
        leases.end([1])
        leases.undo(undo)
        #expect(leases.all() == [2: first, 4: later], "a second undo changes nothing")
    }
}
