import GRDB
import LogoutCore

/// An admin's writes to all of an RP's deliveries, in turns of the writer. After an outage, or
/// a day disabled at 33 logouts a second, an RP has millions of rows to change; one `UPDATE`
/// of 100,000 held the single writer 0.4 to 0.7 s, every acknowledgement waiting behind it.
/// Each turn is committed with its fsync (what the admin is told was done must survive a power
/// cut; a crash part-way leaves the rest as they were, and the same request does them then).
/// A turn gives way after a millisecond when an acknowledgement waits, and runs up to
/// `bulkTurnAlone` when none does; the next turn queues behind the acknowledgements that
/// waited, so no pause is needed between turns (the admin waits for all of them: in the
/// purge's 1 ms turns 5 ms apart, a recovery of 100,000 took 10 s).
extension LogoutDatabase {
    /// Queues again every failed or skipped delivery of an RP created since `since` (after an
    /// outage, or once a disabled RP is enabled again).
    public func recoverDeliveries(clientID: String, since: Timestamp, now: Timestamp) async throws -> Int {
        // `created_at` restarts so that the retry window counts from the redelivery.
        try await updateInTurns(
            clientID: clientID,
            [.failed, .skipped],
            condition: "created_at >= ?",
            [since.column],
            set: """
                status = 'pending', next_attempt_at = ?, created_at = ?, lease_until = NULL, reason = NULL,
                finished_at = NULL
                """,
            [now.column, now.column]
        )
    }

    /// Leased ones are left to their attempt, whose outcome decides.
    public func skipWaitingDeliveries(clientID: String, reason: String, now: Timestamp) async throws -> Int {
        try await updateInTurns(
            clientID: clientID,
            [.pending, .retrying],
            condition: "lease_until IS NULL",
            [],
            set: "status = 'skipped', next_attempt_at = NULL, reason = ?, finished_at = ?",
            [reason, now.column],
            leavingHeld: true
        )
    }

    /// How long a turn runs when no acknowledgement waits: its rows' journal stays in the
    /// writer's memory until the commit, so it is bounded even then.
    static let bulkTurnAlone: Duration = .milliseconds(10)
    /// How many rows one statement of an admin's walk selects at most: an update is cheaper to
    /// select for than a purge's event, whose check reads its deliveries (`bulkBatch`).
    static let bulkUpdateBatch = 100

    /// Sets `set` on the RP's deliveries of each status in turn that meet `condition`, in id
    /// order (the status index gives them so, without a sort); a row changed leaves the status,
    /// so each turn's statement starts where the last one stopped. `leavingHeld` passes over
    /// the rows under a lease, read in each turn (in the writer's order: no claim or outcome
    /// comes between that and the turn's rows).
    func updateInTurns(
        clientID: String,
        _ statuses: [DeliveryStatus],
        condition: String,
        _ conditionArguments: [any DatabaseValueConvertible & Sendable],
        set: String,
        _ setArguments: [any DatabaseValueConvertible & Sendable],
        leavingHeld: Bool = false
    ) async throws -> Int {
        try await expandFanOutPlans()
        let selection = """
            SELECT id FROM deliveries WHERE status = ? AND client_id = ? AND id > ? AND id <= ? AND \(condition)
            ORDER BY id LIMIT \(Self.bulkUpdateBatch)
            """
        let update = "UPDATE deliveries SET \(set) WHERE id = ?"
        var total = 0
        for status in statuses {
            var position: Int64 = 0
            while true {
                let after = position
                let turn = try await committer.write { db in
                    // A skipped delivery may still be in its logout's plan, and a waiting one too.
                    try self.withAllFanOutPlansExpanded(db) {
                        let held = leavingHeld ? Set(self.leases.byRelyingParty()[clientID]?.keys ?? [:].keys) : []
                        return try Self.updateTurn(
                            db,
                            selection: selection,
                            [status.rawValue, clientID],
                            conditionArguments,
                            update: update,
                            setArguments,
                            after: after,
                            sparing: held,
                            giveWay: { self.committer.acknowledgementWaits }
                        )
                    }
                }
                total += turn.changed
                position = turn.reached
                if turn.finished { break }
            }
        }
        return total
    }

    /// One turn: the rows `selection` finds in windows of ids (rows `condition` leaves out are
    /// read, and only once), up to the newest delivery as the turn starts (after the plans it
    /// expanded).
    private static func updateTurn(
        _ db: Database,
        selection: String,
        _ leading: [any DatabaseValueConvertible & Sendable],
        _ conditionArguments: [any DatabaseValueConvertible & Sendable],
        update: String,
        _ setArguments: [any DatabaseValueConvertible & Sendable],
        after: Int64,
        sparing held: Set<Int64>,
        giveWay: () -> Bool
    ) throws -> (changed: Int, reached: Int64, finished: Bool) {
        let started = ContinuousClock.now
        let (mayGiveWay, turnEnds) = (started + bulkTurn, started + bulkTurnAlone)
        func timeIsUp() -> Bool {
            let time = ContinuousClock.now
            return time >= turnEnds || (time >= mayGiveWay && giveWay())
        }
        let newest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM deliveries") ?? 0
        // The RP's next row of the status: a window starts there, not among other RPs' rows.
        let next = try db.cachedStatement(
            sql: "SELECT min(id) FROM deliveries WHERE status = ? AND client_id = ? AND id > ?"
        )
        let select = try db.cachedStatement(sql: selection)
        let change = try db.cachedStatement(sql: update)
        var (changed, reached) = (0, after)
        while reached < newest {
            guard let first = try Int64.fetchOne(next, arguments: StatementArguments(leading + [reached])),
                first <= newest
            else { return (changed, newest, true) }
            reached = first - 1
            let end = min(reached + bulkWindow, newest)
            let ids = try Int64.fetchAll(
                select,
                arguments: StatementArguments(leading + [reached, end] + conditionArguments)
            )
            for id in ids where !held.contains(id) {
                try change.execute(arguments: StatementArguments(setArguments + [id]))
                changed += 1
                if timeIsUp() { return (changed, id, false) }
            }
            // Short of the statement's limit, the window holds no more.
            reached = ids.count < Self.bulkUpdateBatch ? end : ids[ids.count - 1]
            if timeIsUp() { return (changed, reached, reached >= newest) }
        }
        return (changed, reached, true)
    }
}
