import Foundation
import GRDB
import LogoutCore
import Synchronization
import TestSupport
import Testing

@testable import LogoutStorage

/// The embedded store acknowledges a logout with one plan row for its deliveries and makes the
/// rows after (IN-17, Q-7): what the acknowledgement promised is on disk, and every reader sees
/// the rows as if they had been written with it.
@Suite struct FanOutPlanTests {
    /// Three RPs each with a session of `u`; one disabled, so its delivery is skipped. Plans
    /// wait for a reader, so that the file shows them between.
    func fixture(inBackground: Bool = false) async throws -> (StoreFixture, LogoutDatabase) {
        let f = try await StoreFixture.make(.sqlite, expandsPlansInBackground: inBackground)
        let db = f.store as! LogoutDatabase
        for rp in ["a", "b", "c"] {
            var stored = f.rp(rp)
            stored.relyingParty.enabled = rp != "c"
            try await db.insertRelyingParty(stored)
            _ = try await db.insertSession(f.session(rp, sid: "s-" + rp), now: f.now)
        }
        return (f, db)
    }

    func rows(_ db: LogoutDatabase) throws -> (plans: Int, deliveries: [Row]) {
        try db.pool.read { db in
            (
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pending_fanouts") ?? -1,
                try Row.fetchAll(
                    db,
                    sql: "SELECT client_id, sub, sid, status, reason FROM deliveries ORDER BY client_id"
                )
            )
        }
    }

    @Test func theAcknowledgementWritesOnePlanAndTheQueuesFirstLookMakesItsRows() async throws {
        let (f, db) = try await fixture()
        let before = db.committer.committedBatches
        let recorded = try await db.recordLogout(f.logout(), now: f.now)
        guard case .accepted(_, let deliveries, let skipped, _) = recorded else {
            Issue.record("not accepted: \(recorded)")
            return
        }
        #expect(deliveries == 3 && skipped == ["c"])
        let acknowledged = try rows(db)
        #expect(acknowledged.plans == 1 && acknowledged.deliveries.isEmpty, "one plan row, no delivery row yet")
        #expect(db.committer.committedBatches.onDisk - before.onDisk == 1)

        #expect(try await db.nextDueAt() == f.now, "due at once, as the rows it stands for")
        let expanded = try rows(db)
        #expect(expanded.plans == 0)
        #expect(
            expanded.deliveries.map { [$0[0], $0[1], $0[2], $0[3], $0[4]] as [String?] } == [
                ["a", "rp-u", "rp-s-a", "pending", nil], ["b", "rp-u", "rp-s-b", "pending", nil],
                ["c", "rp-u", "rp-s-c", "skipped", "the RP is disabled"],
            ]
        )
        let after = db.committer.committedBatches
        #expect(after.onDisk - before.onDisk == 1, "the rows are queue work: no fsync of their own")
        #expect(after.redeliverable > before.redeliverable)
        #expect(try await db.claimDue(f.claim(), now: f.now).map(\.clientID).sorted() == ["a", "b"])
    }

    /// Nobody reads, the engine has no capacity: the rows are made all the same, right after.
    @Test func theRowsFollowTheAcknowledgementWithoutAReader() async throws {
        let (f, db) = try await fixture(inBackground: true)
        _ = try await db.recordLogout(f.logout(), now: f.now)
        let made = await eventually(interval: 0.01) {
            (try? self.rows(db)).map { $0.plans == 0 && $0.deliveries.count == 3 } ?? false
        }
        #expect(made)
        await db.fanOutExpansionSettled()
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) == 0)
    }

    /// The admin's views make the plans acknowledged before them into rows first; so does
    /// every write that changes deliveries by RP. One row per reader, each on a fresh store
    /// whose plan waits.
    @Test(arguments: [
        "list", "one", "statistics", "activity", "export", "skip", "recover", "bound", "next due",
    ])
    func aReaderOrWriterOfTheDeliveriesSeesThemRightAfterTheAcknowledgement(_ reader: String) async throws {
        let (f, db) = try await fixture()
        guard case .accepted(let eventID, _, _, _) = try await db.recordLogout(f.logout(), now: f.now) else {
            Issue.record("not accepted")
            return
        }
        switch reader {
        case "list":
            let listed = try await db.deliveries(DeliveryQuery(eventID: eventID, limit: 10))
            #expect(listed.map(\.clientID).sorted() == ["a", "b", "c"])
        case "one":
            #expect(try await db.delivery(id: 1)?.0.eventID == eventID)
        case "statistics":
            #expect(try await db.queueStatistics().pending == 2)
        case "activity":
            let skipped = try await db.deliveryActivity(start: f.now, minutes: 1)
            #expect(skipped.map(\.count) == [1], "the delivery to the disabled RP, skipped at once")
        case "export":
            #expect(try await db.export(table: "deliveries").rows.count == 3)
        case "skip":
            #expect(try await db.skipWaitingDeliveries(clientID: "a", reason: "test", now: f.now) == 1)
        case "recover":
            #expect(try await db.recoverDeliveries(clientID: "c", since: f.now, now: f.now + .seconds(1)) == 1)
        case "bound":
            // Recorded at a wall time the clock has not reached (it stepped back).
            _ = try await db.insertSession(f.session("a", sub: "later"), now: f.now)
            _ = try await db.recordLogout(
                f.logout(sub: "later", jti: "later", hash: "later"),
                now: f.now + .seconds(7200)
            )
            #expect(try await db.boundDueTimes(now: f.now, latest: .seconds(3600)) == 1)
        default:
            #expect(try await db.nextDueAt() == f.now)
        }
        #expect(try rows(db).plans == 0)
    }

    /// The queue's next due time counts a plan it has not made into rows yet as due.
    @Test func aWaitingPlanIsDue() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now + .seconds(5))
        try await db.pool.write { db in
            try db.execute(sql: "UPDATE pending_fanouts SET created_at = ?", arguments: [f.now.column])
        }
        let due = try await db.pool.read { try db.earliestPlanDue($0) }
        #expect(due == f.now.column)
    }

    /// A process stopped (or killed) between the acknowledgement and the rows leaves the plan;
    /// the next one counts it at open and delivers it.
    @Test func aPlanLeftByAStoppedProcessIsDeliveredByTheNext() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        try db.close()
        let reopened = try LogoutDatabase(path: db.path, busyTimeout: .milliseconds(200))
        #expect(try rows(reopened).plans == 1)
        #expect(try await reopened.claimDue(f.claim(), now: f.now).map(\.clientID).sorted() == ["a", "b"])
        #expect(try rows(reopened).plans == 0)
        try reopened.close()
    }

    /// Removing an RP ends its unfinished deliveries, those still in a plan too; the purge keeps
    /// an event whose plan waits.
    @Test func removalAndPurgeSeeThePlans() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        let purged = try await db.purge(
            now: f.now + .seconds(86_400 * 365),
            retention: .seconds(1),
            rejectedRetention: .seconds(1)
        )
        #expect(purged.events == 0, "its deliveries still wait, in the plan")
        try await db.deleteRelyingParty(clientID: "a")
        let after = try rows(db)
        #expect(after.plans == 0)
        #expect(
            after.deliveries.first.map { [$0[0], $0[3], $0[4]] as [String?] } == ["a", "failed", "the RP was removed"]
        )
    }

    /// Many plans are all made into rows, the count back to zero; one turn makes at least one.
    @Test func manyPlansAreAllMadeIntoRows() async throws {
        let (f, db) = try await fixture()
        let logouts = 9
        for index in 0..<logouts {
            _ = try await db.insertSession(f.session("a", sub: "m\(index)"), now: f.now)
            _ = try await db.recordLogout(f.logout(sub: "m\(index)", jti: "m\(index)", hash: "m\(index)"), now: f.now)
        }
        try await db.expandFanOutPlans(all: false)
        #expect(try rows(db).plans < logouts)
        try await db.expandFanOutPlans()
        let after = try rows(db)
        #expect(after.plans == 0 && after.deliveries.count == logouts)
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) == 0)
    }

    /// A plan nobody can read is kept aside with its problem for an admin, and stops nothing:
    /// the next logout's deliveries are made and claimed, none of its own made up or dropped.
    @Test func anUnreadablePlanIsKeptAsideAndStopsNothing() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        try await db.pool.write { try $0.execute(sql: "UPDATE pending_fanouts SET plan = '[[1]]'") }
        _ = try await db.insertSession(f.session("a", sub: "next"), now: f.now)
        _ = try await db.recordLogout(f.logout(sub: "next", jti: "next", hash: "next"), now: f.now)
        #expect(try await db.claimDue(f.claim(), now: f.now).map(\.clientID) == ["a"])
        let kept = try db.pool.read { try Row.fetchAll($0, sql: "SELECT event_id, problem FROM pending_fanouts") }
        #expect(kept.count == 1 && (kept.first?["problem"] as String?)?.contains("not a JSON array") == true)
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) == 0, "counted no more: nothing is left to make")
        db.pendingFanOutPlans.store(1, ordering: .relaxed)
        let due = try await db.pool.read { try db.earliestPlanDue($0) }
        #expect(due == nil, "not due: nothing will make it")
    }

    /// Values edited by hand that GRDB could not convert (a plan stored as bytes that are not
    /// UTF-8, a time that is text) set the plan aside like unreadable JSON, instead of stopping
    /// the process at every look; an export refuses while a plan is set aside, rather than
    /// leave its deliveries behind.
    @Test(arguments: [
        "UPDATE pending_fanouts SET plan = X'FFFE00'", "UPDATE pending_fanouts SET created_at = 'soon'",
    ])
    func aPlanEditedIntoAnotherTypeIsSetAside(_ edit: String) async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        try await db.pool.write { try $0.execute(sql: edit) }
        try await db.expandFanOutPlans()
        let kept = try await db.pool.read { try String.fetchAll($0, sql: "SELECT problem FROM pending_fanouts") }
        #expect(kept.count == 1 && kept.allSatisfy { $0.contains("not a JSON array") })
        #expect(try rows(db).deliveries.isEmpty)
        await #expect(throws: LogoutDatabase.Failure.self) { try await db.export(table: "deliveries") }
    }

    /// A plan whose event was deleted by hand with foreign keys off goes, as the cascade would
    /// have taken it; a later event given the same id records its own plan.
    @Test func aPlanWithoutItsEventGoes() async throws {
        let (f, db) = try await fixture()
        func deleteEventsByHand() async throws {
            try await db.pool.writeWithoutTransaction { db in
                try db.execute(sql: "PRAGMA foreign_keys = OFF")
                try db.execute(sql: "DELETE FROM events")
                try db.execute(sql: "PRAGMA foreign_keys = ON")
            }
        }
        _ = try await db.recordLogout(f.logout(), now: f.now)
        try await deleteEventsByHand()
        try await db.expandFanOutPlans()
        #expect(try rows(db).plans == 0 && rows(db).deliveries.isEmpty)

        _ = try await db.insertSession(f.session("a", sub: "orphan"), now: f.now)
        _ = try await db.recordLogout(f.logout(sub: "orphan", jti: "orphan", hash: "orphan"), now: f.now)
        try await deleteEventsByHand()
        _ = try await db.insertSession(f.session("a", sub: "again"), now: f.now)
        let again = try await db.recordLogout(f.logout(sub: "again", jti: "again", hash: "again"), now: f.now)
        guard case .accepted(_, 1, _, _) = again else {
            Issue.record("not accepted: \(again)")
            return
        }
        try await db.expandFanOutPlans()
        #expect(try rows(db).plans == 0 && rows(db).deliveries.map { $0[1] as String? } == ["rp-again"])

        // The id taken again by an event that has no deliveries (a rejection): the plan left
        // behind is not delivered under it.
        _ = try await db.insertSession(f.session("a", sub: "third"), now: f.now)
        _ = try await db.recordLogout(f.logout(sub: "third", jti: "third", hash: "third"), now: f.now)
        try await db.pool.writeWithoutTransaction { db in
            try db.execute(sql: "PRAGMA foreign_keys = OFF")
            try db.execute(sql: "DELETE FROM events WHERE id = (SELECT MAX(id) FROM events)")
            try db.execute(sql: "PRAGMA foreign_keys = ON")
        }
        #expect(db.enqueueRejection(f.rejection(), now: f.now))
        try await db.flushRejections()
        try await db.expandFanOutPlans()
        #expect(try rows(db).plans == 0 && rows(db).deliveries.count == 1, "nothing made of the orphan")
    }

    /// A write that made the plans into rows and then failed rolls them back to plans: still
    /// counted, so the next reader makes them into rows again.
    @Test func aWriteThatFailsAfterTheExpansionLeavesThePlansCounted() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await db.committer.write { database in
                try db.withAllFanOutPlansExpanded(database) { throw Refused() }
            }
        }
        #expect(try rows(db).plans == 1 && rows(db).deliveries.isEmpty)
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) > 0)
        _ = try await db.nextDueAt()
        #expect(try rows(db).plans == 0 && rows(db).deliveries.count == 3)
    }

    @Test(arguments: [
        [PlannedDelivery(clientID: "a", sub: "u", sid: nil)],
        [
            PlannedDelivery(clientID: "é \"q\" \\", sub: nil, sid: "s\u{0}", skipReason: "the RP is disabled"),
            PlannedDelivery(clientID: "b", sub: "", sid: "", skipReason: nil),
        ],
    ])
    func aPlanReadsBackAsWritten(_ deliveries: [PlannedDelivery]) {
        #expect(FanOutPlanText.decode(FanOutPlanText.encode(deliveries)) == deliveries)
    }

    @Test(arguments: ["", "{}", "[1]", "[[\"a\",null,null]]", "[[\"a\",1,null,null]]", "[[null,null,null,null]]"])
    func aPlanOfAnotherShapeIsNotRead(_ text: String) {
        #expect(FanOutPlanText.decode(text) == nil)
    }
}
