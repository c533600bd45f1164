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

    /// The admin's views make the plans acknowledged before them into rows first.
    @Test func aReaderOfTheDeliveriesSeesThemRightAfterTheAcknowledgement() async throws {
        let (f, db) = try await fixture()
        guard case .accepted(let eventID, _, _, _) = try await db.recordLogout(f.logout(), now: f.now) else {
            Issue.record("not accepted")
            return
        }
        let listed = try await db.deliveries(DeliveryQuery(eventID: eventID, limit: 10))
        #expect(listed.map(\.clientID).sorted() == ["a", "b", "c"])
        #expect(try await db.queueStatistics().pending == 2)
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

    /// Skipped while the RP was disabled, still in the plan: enabling it and recovering its
    /// deliveries queues that one again.
    @Test func recoveryFindsASkippedDeliveryStillInItsPlan() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        #expect(try await db.recoverDeliveries(clientID: "c", since: f.now, now: f.now + .seconds(1)) == 1)
    }

    /// Plans are made into rows a few at a time, each turn a transaction of its own that an
    /// acknowledgement can go ahead of; all of them in the end.
    @Test func manyPlansAreMadeIntoRowsInTurns() async throws {
        let (f, db) = try await fixture()
        let logouts = 3 * LogoutDatabase.plansPerTurn + 1
        for index in 0..<logouts {
            _ = try await db.insertSession(f.session("a", sub: "m\(index)"), now: f.now)
            _ = try await db.recordLogout(f.logout(sub: "m\(index)", jti: "m\(index)", hash: "m\(index)"), now: f.now)
        }
        let before = db.committer.committedBatches.redeliverable
        try await db.expandFanOutPlans()
        #expect(db.committer.committedBatches.redeliverable - before >= 4)
        let after = try rows(db)
        #expect(after.plans == 0 && after.deliveries.count == logouts)
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) == 0)
    }

    /// A plan nobody can read stops the expansion with an error that names its event, and stays
    /// for an admin: its deliveries are neither made up nor dropped.
    @Test func anUnreadablePlanIsAnErrorAndStays() async throws {
        let (f, db) = try await fixture()
        _ = try await db.recordLogout(f.logout(), now: f.now)
        try await db.pool.write { try $0.execute(sql: "UPDATE pending_fanouts SET plan = '[[1]]'") }
        await #expect(throws: LogoutDatabase.Failure.self) { try await db.nextDueAt() }
        #expect(try rows(db).plans == 1)
        #expect(db.pendingFanOutPlans.load(ordering: .relaxed) > 0, "still counted: the next look tries again")
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
