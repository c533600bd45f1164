import GRDB
import LogoutCore
import Synchronization

/// An accepted logout's deliveries travel in its acknowledgement as one plan row, and become
/// delivery rows after it, in the queue's turns of the writer (`Migrations.v16` says why).
///
/// Nobody sees the difference: every read or write of the deliveries expands the plans
/// acknowledged before it first, the queue's own reads (its next due time, its claims) too, so
/// the engine expands them as soon as the intake wakes it. A plan is on disk with its event; the
/// rows made from it are not synced (a power cut before the next synced commit leaves the plan,
/// which is made into rows again: the same deliveries, attempted again at worst).
extension LogoutDatabase {
    /// Plans made into rows per transaction: 2 logouts to 25 RPs are about a millisecond of the
    /// writer, the turn after which queue work gives way to a waiting acknowledgement.
    static let plansPerTurn = 2

    /// Returns once no task makes plans into rows (tests that count the writer's transactions).
    func fanOutExpansionSettled() async {
        while fanOutExpander.load(ordering: .acquiring) {
            try? await Task.sleep(for: .milliseconds(1))
        }
    }

    /// Makes plans into rows in the background, unless a task already does: called after each
    /// acknowledgement that wrote one. The queue engine's own looks are not enough: an engine
    /// whose RPs all hang has no capacity, looks at nothing, and would leave plans for the
    /// admin's next view (or the metrics) to expand all at once. A failure leaves the plans to
    /// the readers, which report it.
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
    /// acknowledgements. Plans acknowledged meanwhile are left to the next caller: a stream of
    /// logouts cannot keep a reader here.
    func expandFanOutPlans() async throws {
        guard pendingFanOutPlans.load(ordering: .acquiring) > 0 else { return }
        var through: Int64?
        while true {
            let bound = through
            let expanded = try await committer.write(.redeliverable) { db in
                try self.withPlanCountRestoredOnFailure {
                    try self.expandFanOutPlans(through: bound, limit: Self.plansPerTurn, db)
                }
            }
            guard let next = expanded else { return }
            through = next
        }
    }

    /// Runs `work` in the caller's transaction once every plan is made into rows: a write that
    /// must see all deliveries (removing an RP, skipping its waiting deliveries).
    func withAllFanOutPlansExpanded<T>(_ db: Database, _ work: () throws -> T) throws -> T {
        try withPlanCountRestoredOnFailure {
            if pendingFanOutPlans.load(ordering: .acquiring) > 0 {
                _ = try expandFanOutPlans(through: nil, limit: nil, db)
            }
            return try work()
        }
    }

    /// Writes the plan of an accepted logout's deliveries, in its acknowledgement's transaction.
    func writeFanOutPlan(_ deliveries: [PlannedDelivery], eventID: Int64, nowMs: Int64, _ db: Database) throws {
        guard !deliveries.isEmpty else { return }
        try db.cachedStatement(sql: "INSERT INTO pending_fanouts (event_id, created_at, plan) VALUES (?, ?, ?)")
            .execute(arguments: [eventID, nowMs, FanOutPlanText.encode(deliveries)])
        // Counted before the commit: a count above the rows only costs a look at an empty table.
        pendingFanOutPlans.add(1, ordering: .releasing)
    }

    /// Expands plans up to event `through` (all when nil) and at most `limit` of them. Returns the
    /// bound to go on with when some are left, nil when none up to it is.
    private func expandFanOutPlans(through: Int64?, limit: Int?, _ db: Database) throws -> Int64? {
        guard
            let bound = try through
                ?? Int64.fetchOne(db.cachedStatement(sql: "SELECT MAX(event_id) FROM pending_fanouts"))
        else {
            clearPlanCount(db)
            return nil
        }
        let rows = try Row.fetchAll(
            db.cachedStatement(
                sql: """
                    SELECT p.event_id, p.created_at, p.plan, e.trace_context FROM pending_fanouts p
                    JOIN events e ON e.id = p.event_id
                    WHERE p.event_id <= ? ORDER BY p.event_id LIMIT ?
                    """
            ),
            arguments: [bound, limit ?? -1]
        )
        for row in rows {
            let eventID: Int64 = row[0]
            guard let deliveries = FanOutPlanText.decode(row[2]) else {
                throw Failure(description: "the fan-out plan of event \(eventID) is not readable")
            }
            try Self.insertDeliveries(deliveries, eventID: eventID, nowMs: row[1], traceContext: row[3], db)
            try db.cachedStatement(sql: "DELETE FROM pending_fanouts WHERE event_id = ?").execute(arguments: [eventID])
        }
        if let limit, rows.count == limit { return bound }
        if try !Bool.fetchOne(db.cachedStatement(sql: "SELECT EXISTS (SELECT 1 FROM pending_fanouts)"))! {
            clearPlanCount(db)
        }
        return nil
    }

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
    /// not if a plan was counted or a failure put plans back meanwhile (the count moved).
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

/// A plan as text: a JSON array of `[client_id, sub, sid, skip reason]`, nulls where absent.
enum FanOutPlanText {
    static func encode(_ deliveries: [PlannedDelivery]) -> String {
        JSONSerializer.string(
            .array(
                deliveries.map { delivery in
                    .array([
                        .string(delivery.clientID), delivery.sub.map(JSONValue.string) ?? .null,
                        delivery.sid.map(JSONValue.string) ?? .null, delivery.skipReason.map(JSONValue.string) ?? .null,
                    ])
                }
            )
        )
    }

    /// Nil for text that is not such an array.
    static func decode(_ text: String) -> [PlannedDelivery]? {
        guard let entries = try? StrictJSONParser.parse(Array(text.utf8)).arrayValue else { return nil }
        var deliveries: [PlannedDelivery] = []
        deliveries.reserveCapacity(entries.count)
        for entry in entries {
            guard let fields = entry.arrayValue, fields.count == 4, let clientID = fields[0].stringValue else {
                return nil
            }
            func optional(_ value: JSONValue) -> String?? {
                if case .null = value { return .some(nil) }
                return value.stringValue.map { .some($0) }
            }
            guard let sub = optional(fields[1]), let sid = optional(fields[2]), let reason = optional(fields[3]) else {
                return nil
            }
            deliveries.append(PlannedDelivery(clientID: clientID, sub: sub, sid: sid, skipReason: reason))
        }
        return deliveries
    }
}
