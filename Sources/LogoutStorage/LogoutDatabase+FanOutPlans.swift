import GRDB
import LogoutCore
import Synchronization

/// An accepted logout's deliveries travel in its acknowledgement as one plan row, and become
/// delivery rows after it, in the queue's turns of the writer (`Migrations.v16` says why).
///
/// Nobody sees the difference: a task makes the rows right after each acknowledgement, every
/// reader of the deliveries (the admin's views, statistics, an export) and every write that
/// changes them by RP first makes the rows of the plans acknowledged before it, and the queue's
/// next due time counts a waiting plan as due. A plan is on disk with its event; the rows made
/// from it are not synced (a power cut before the next synced commit leaves the plan, which is
/// made into rows again: the same deliveries, attempted again at worst).
extension LogoutDatabase {
    /// How long one turn of making rows runs before it gives way to a waiting acknowledgement
    /// (the group commit's own budget for queue work); it goes on while none waits.
    static let expansionTurn: Duration = .milliseconds(1)
    /// How many plans may wait before a turn stops giving way: about a quarter of a second of
    /// logouts at 1,000 a second. Past it, when the writer cannot keep up with both,
    /// acknowledgements wait for rows again (as before v16) rather than deliveries falling ever
    /// further behind them. Counted in plans, not event ids: rejected requests, which anyone can
    /// send, make events without plans.
    static let maximumLag = 256

    /// Plans written less plans made into rows (or set aside) since the start, those the file
    /// held at open included; a rolled-back transaction can leave it off by its few plans.
    var plansLagging: Int { plansWritten.load(ordering: .acquiring) - plansMade.load(ordering: .acquiring) }

    /// Returns once no task makes plans into rows (tests that count the writer's transactions).
    func fanOutExpansionSettled() async {
        while fanOutExpander.load(ordering: .acquiring) {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Makes plans into rows in the background, unless a task already does: called after each
    /// acknowledgement that wrote one. The queue engine's own looks are not enough: an engine
    /// whose RPs all hang has no capacity, looks at nothing, and would leave plans for the
    /// admin's next view (or the metrics) to make all at once. A failure leaves the plans to the
    /// readers, which report it.
    func expandFanOutPlansSoon() {
        guard expandsPlansInBackground,
            fanOutExpander.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
        else { return }
        Task {
            repeat {
                let failed: Bool
                do {
                    try await expandFanOutPlans()
                    failed = false
                } catch {
                    failed = true
                }
                fanOutExpander.store(false, ordering: .releasing)
                if failed { return }
                // A plan counted after the last look, whose caller found this task still running.
            } while pendingFanOutPlans.load(ordering: .acquiring) > 0
                && fanOutExpander.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
                    .exchanged
        }
    }

    /// Makes the plans acknowledged so far into rows, in turns that give way to
    /// acknowledgements (`all: false`: one turn). Plans acknowledged meanwhile are left to the
    /// next caller: a stream of logouts cannot keep a reader here.
    func expandFanOutPlans(all: Bool = true) async throws {
        guard pendingFanOutPlans.load(ordering: .acquiring) > 0 else { return }
        var through: Int64?
        repeat {
            let bound = through
            guard
                let next = try await committer.write(
                    .redeliverable,
                    { db in
                        // From the turn's first statement, as the group commit times its own:
                        // the wait for the writer is not the turn's.
                        let turnEnds = ContinuousClock.now + Self.expansionTurn
                        return try self.withPlanCountRestoredOnFailure {
                            try self.expandFanOutPlans(through: bound, mayClearCount: true, db) {
                                ContinuousClock.now < turnEnds || !self.committer.acknowledgementWaits
                                    || self.plansLagging > Self.maximumLag
                            }
                        }
                    }
                )
            else { return }
            through = next
        } while all
    }

    /// Runs `work` in the caller's transaction once every plan is made into rows: a write that
    /// must see all deliveries (removing an RP, skipping its waiting deliveries). Callers make
    /// the rows in turns first; this catches the plans acknowledged since. It leaves the count
    /// as it is: the work may fail after it, and its savepoint put the plans back.
    func withAllFanOutPlansExpanded<T>(_ db: Database, _ work: () throws -> T) throws -> T {
        try withPlanCountRestoredOnFailure {
            if pendingFanOutPlans.load(ordering: .acquiring) > 0 {
                _ = try expandFanOutPlans(through: nil, mayClearCount: false, db) { true }
            }
            return try work()
        }
    }

    /// Writes the plan of an accepted logout's deliveries, in its acknowledgement's transaction.
    /// A plan of the same event id can only be one whose event was deleted by hand with foreign
    /// keys off (the cascade removes it otherwise), left behind for an id SQLite gives again.
    func writeFanOutPlan(_ deliveries: [PlannedDelivery], eventID: Int64, nowMs: Int64, _ db: Database) throws {
        guard !deliveries.isEmpty else { return }
        try db.cachedStatement(
            sql: "INSERT OR REPLACE INTO pending_fanouts (event_id, created_at, plan) VALUES (?, ?, ?)"
        ).execute(arguments: [eventID, nowMs, FanOutPlanText.encode(deliveries)])
        // Counted before the commit: a count above the rows only costs a look at an empty table.
        pendingFanOutPlans.add(1, ordering: .releasing)
        plansWritten.add(1, ordering: .releasing)
    }

    var fanOutPlansMayWait: Bool { pendingFanOutPlans.load(ordering: .acquiring) > 0 }

    /// The earliest time a waiting plan's deliveries are due (when it was recorded).
    func earliestPlanDue(_ db: Database) throws -> Int64? {
        guard fanOutPlansMayWait else { return nil }
        return try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT MIN(created_at) FROM pending_fanouts WHERE problem IS NULL")
        )
    }

    /// Makes plans up to event `through` (all of them when nil) into rows, oldest first, while
    /// `goOn` agrees. Returns the bound to go on with when some are left, nil when none up to it
    /// is. A plan that cannot be read is kept with its problem and passed over: one bad row must
    /// not stop every delivery (nor the daemon, whose watchdog follows the queue).
    private func expandFanOutPlans(
        through: Int64?,
        mayClearCount: Bool,
        _ db: Database,
        goOn: () -> Bool
    ) throws -> Int64? {
        guard
            let bound = try through
                ?? Int64.fetchOne(
                    db.cachedStatement(sql: "SELECT MAX(event_id) FROM pending_fanouts WHERE problem IS NULL")
                )
        else {
            if mayClearCount { clearPlanCount(db) }
            return nil
        }
        let next = try db.cachedStatement(
            sql: """
                SELECT p.event_id, CASE WHEN typeof(p.created_at) = 'integer' THEN p.created_at END,
                    CASE WHEN typeof(p.plan) = 'text' THEN p.plan END, e.outcome = 'accepted' AND e.deliveries > 0,
                    e.trace_context
                FROM pending_fanouts p LEFT JOIN events e ON e.id = p.event_id
                WHERE p.event_id <= ? AND p.problem IS NULL ORDER BY p.event_id LIMIT 1
                """
        )
        while let row = try Row.fetchOne(next, arguments: [bound]) {
            let eventID: Int64 = row[0]
            plansMade.add(1, ordering: .releasing)
            // Typed in the query: a row edited by hand can hold anything, and a value GRDB cannot
            // convert stops the process (an optional too), at every look.
            let createdAt = row[1] as Int64?
            let text = row[2] as String?
            // An event deleted by hand with foreign keys off (the id may since be another
            // event's, one without deliveries) takes its plan with it, as the cascade does.
            let owned = (row[3] as Bool?) == true
            let deliveries = owned ? createdAt.flatMap { _ in text.flatMap(FanOutPlanText.decode) } : nil
            if owned && deliveries == nil {
                try db.cachedStatement(sql: "UPDATE pending_fanouts SET problem = ? WHERE event_id = ?")
                    .execute(arguments: [
                        "the plan is not a JSON array of [client_id, sub, sid, reason] in UTF-8 text with an integer "
                            + "created_at", eventID,
                    ])
            } else {
                if let deliveries, let createdAt {
                    try Self.insertDeliveries(deliveries, eventID: eventID, nowMs: createdAt, traceContext: row[4], db)
                }
                try db.cachedStatement(sql: "DELETE FROM pending_fanouts WHERE event_id = ?").execute(arguments: [
                    eventID
                ])
            }
            if !goOn() { return bound }
        }
        if mayClearCount,
            try !Bool.fetchOne(
                db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM pending_fanouts WHERE problem IS NULL)")
            )!
        {
            clearPlanCount(db)
        }
        return nil
    }

    /// One execution per row, on purpose. A multi-row `VALUES` (issue 24, twelfth slice) cut the
    /// instructions per row by a fifth and the CPU time by nothing measurable: a statement that
    /// writes several rows of a table with a foreign key may have to undo itself alone, so SQLite
    /// keeps a statement journal of every page it touches. The group commit keeps it in memory;
    /// anywhere else this build spills it to a temporary file (the floor's SQLite run made
    /// 282,861 `pwrite` calls instead of 91,939). One row a statement needs no journal at all.
    static func insertDeliveries(
        _ deliveries: [PlannedDelivery],
        eventID: Int64,
        nowMs: Int64,
        traceContext: String?,
        _ db: Database
    ) throws {
        let insert = try db.cachedStatement(
            sql: """
                INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason,
                    finished_at, trace_context)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for delivery in deliveries {
            let skipped = delivery.skipReason != nil
            try insert.execute(arguments: [
                eventID, delivery.clientID, delivery.sub, delivery.sid,
                skipped ? DeliveryStatus.skipped.rawValue : DeliveryStatus.pending.rawValue,
                nowMs, skipped ? nil : nowMs, delivery.skipReason, skipped ? nowMs : nil, traceContext,
            ])
        }
    }

    /// No plan is left in this transaction: the count is zero once it commits, not before (a
    /// reader that found zero would read the file without the rows this transaction makes), and
    /// not if a plan was counted or a failure put plans back meanwhile (the count moved). Only a
    /// transaction that makes rows and nothing else clears it: a savepoint rolled back after it
    /// would put plans back unseen.
    private func clearPlanCount(_ db: Database) {
        let counted = pendingFanOutPlans.load(ordering: .acquiring)
        db.afterNextTransaction(onCommit: { _ in
            _ = self.pendingFanOutPlans.compareExchange(expected: counted, desired: 0, ordering: .acquiringAndReleasing)
        })
    }

    /// A failed savepoint puts its plans back, whatever the expansion counted.
    private func withPlanCountRestoredOnFailure<T>(_ work: () throws -> T) throws -> T {
        do {
            return try work()
        } catch {
            pendingFanOutPlans.add(1, ordering: .releasing)
            throw error
        }
    }
}
