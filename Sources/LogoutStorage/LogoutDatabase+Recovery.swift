import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Queues again every failed or skipped delivery of an RP created since `since` (after an
    /// outage, or once a disabled RP is enabled again), in turns of the writer. An RP disabled
    /// for a day at 33 logouts a second has 2.9 million skipped deliveries; one `UPDATE` of
    /// 100,000 held the single writer 0.7 s, every acknowledgement waiting behind it. Each turn
    /// is committed with its fsync (what the admin is told was queued must survive a power cut;
    /// a crash part-way leaves the rest failed, and the same request queues them then). A turn
    /// gives way after a millisecond when an acknowledgement waits, and runs up to
    /// `recoveryTurn` when none does; the next turn queues behind the acknowledgements that
    /// waited, so no pause is needed between turns (the admin waits for all of them: in the
    /// purge's 1 ms turns 5 ms apart, 100,000 took 10 s).
    public func recoverDeliveries(clientID: String, since: Timestamp, now: Timestamp) async throws -> Int {
        try await expandFanOutPlans()
        var total = 0
        for status in [DeliveryStatus.failed, .skipped] {
            var position: Int64 = 0
            while true {
                let after = position
                let turn = try await committer.write { db in
                    // A skipped delivery may still be in its logout's plan.
                    try self.withAllFanOutPlansExpanded(db) {
                        try Self.requeueTurn(
                            db,
                            status: status,
                            clientID: clientID,
                            since: since.column,
                            after: after,
                            now: now.column,
                            giveWay: { self.committer.acknowledgementWaits }
                        )
                    }
                }
                total += turn.queued
                position = turn.reached
                if turn.finished { break }
            }
        }
        return total
    }

    /// How long a turn of the recovery runs when no acknowledgement waits: its rows' journal
    /// stays in the writer's memory until the commit, so it is bounded even then.
    static let recoveryTurn: Duration = .milliseconds(10)

    /// One turn: the RP's deliveries of `status` past `after`, in id order (the status index
    /// gives them so, without a sort), until the turn's time is up. A row requeued leaves the
    /// status, so the next turn's statement starts where this one stopped.
    private static func requeueTurn(
        _ db: Database,
        status: DeliveryStatus,
        clientID: String,
        since: Int64,
        after: Int64,
        now: Int64,
        giveWay: () -> Bool
    ) throws -> (queued: Int, reached: Int64, finished: Bool) {
        let batch = 100
        let started = ContinuousClock.now
        let (mayGiveWay, turnEnds) = (started + bulkTurn, started + recoveryTurn)
        let selection = try db.cachedStatement(
            sql: """
                SELECT id FROM deliveries WHERE status = ? AND client_id = ? AND id > ? AND created_at >= ?
                ORDER BY id LIMIT ?
                """
        )
        // `created_at` restarts so that the retry window counts from the redelivery.
        let requeue = try db.cachedStatement(
            sql: """
                UPDATE deliveries SET status = 'pending', next_attempt_at = ?, created_at = ?,
                    lease_until = NULL, reason = NULL, finished_at = NULL
                WHERE id = ?
                """
        )
        var (queued, reached) = (0, after)
        while true {
            let ids = try Int64.fetchAll(selection, arguments: [status.rawValue, clientID, reached, since, batch])
            for id in ids {
                try requeue.execute(arguments: [now, now, id])
                queued += 1
                reached = id
                let time = ContinuousClock.now
                if time >= turnEnds || (time >= mayGiveWay && giveWay()) { return (queued, reached, false) }
            }
            if ids.count < batch { return (queued, reached, true) }
        }
    }
}
