import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Removes what is no longer needed: replay records past their retention, expired sessions,
    /// sessions ended and events received more than `retention` ago (with their deliveries and
    /// attempts, unless a delivery is still waiting), and rejected, deferred and duplicate
    /// events older than `rejectedRetention`: anyone can cause those, so they go sooner.
    public func purge(now: Timestamp, retention: Duration, rejectedRetention: Duration) async throws -> PurgeCounts {
        let cutoff = (now - retention).column
        let rejectedCutoff = (now - rejectedRetention).column
        var counts = PurgeCounts()
        counts.replayRecords = try await deleteInTurns(
            """
            DELETE FROM replay WHERE (issuer_name, jti) IN (
                SELECT issuer_name, jti FROM replay WHERE expires_at <= ? ORDER BY expires_at LIMIT ?)
            """,
            now.column,
            batch: 250
        ).deleted
        // Each walk ends at the newest row it may delete, read first: past it every row is kept,
        // and reading them all at each walk's end would cost more than the deletes.
        let (newestSession, newestOld) = try await pool.read { db in
            (
                try Int64.fetchOne(db, sql: "SELECT max(id) FROM sessions"),
                // Through the time index: without it, SQLite walks the table back from the
                // newest event, through every event inside the retention.
                try Int64.fetchOne(
                    db,
                    sql: "SELECT max(id) FROM events INDEXED BY events_by_time WHERE received_at < ?",
                    arguments: [cutoff]
                )
            )
        }
        counts.sessions = try await deleteOneByOne(
            from: "sessions",
            select: """
                SELECT id FROM sessions WHERE id > ? AND id <= ?
                AND ((ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= ?) OR ended_at <= ?)
                ORDER BY id LIMIT ?
                """,
            [now.column, cutoff],
            delete: "DELETE FROM sessions WHERE id = ?",
            through: newestSession
        )
        counts.events = try await deleteOneByOne(
            from: "events",
            select: """
                SELECT id FROM events WHERE id > ? AND id <= ? AND received_at < ? AND NOT EXISTS (
                    SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id
                    AND deliveries.status IN ('pending', 'retrying'))
                    AND NOT EXISTS (SELECT 1 FROM pending_fanouts p WHERE p.event_id = events.id)
                ORDER BY id LIMIT ?
                """,
            [cutoff],
            delete: "DELETE FROM events WHERE id = ?",
            through: newestOld
        )
        counts.rejectedEvents = try await deleteInTurns(
            """
            DELETE FROM events WHERE id IN (
                SELECT id FROM events WHERE outcome IN ('rejected', 'deferred', 'duplicate') AND received_at < ?
                LIMIT ?)
            """,
            rejectedCutoff,
            batch: 100
        ).deleted
        return counts
    }

    /// How long a turn of a bulk write runs (the purge, an admin's recovery): it ends at the
    /// first row past it, whether an acknowledgement waits or not (unlike the expansion's turns).
    static let bulkTurn: Duration = .milliseconds(1)
    /// How long a bulk write leaves the writer to acknowledgements between two of its turns.
    static let bulkPause: Duration = .milliseconds(5)
    /// How many ids one statement of a walk reads at most, and how many rows it selects at most
    /// (a fraction of a turn each: an event's check reads its deliveries, and selecting a whole
    /// window of them cost more than a turn, read again by the next).
    static let bulkWindow: Int64 = 500
    static let bulkBatch: Int64 = 20

    /// Deletes with `sql` (whose last argument is the batch's size: a fraction of a turn) until a
    /// statement deletes fewer than `batch`, in turns of the group commit's queue work, each
    /// ending after `bulkTurn` and none flushed to disk (a purge lost in a power cut is done
    /// again by the next). In one statement, as it was, the replay records that expire in ten
    /// minutes at 1,000 logouts a second (600,000 rows) held the single writer, and every
    /// acknowledgement behind it, for about half a second on a 2-core machine. Every row a
    /// statement's selection finds is deleted, so no batch reads again past rows an earlier one
    /// left. `tally`, with the same arguments, counts before each statement what of its rows the
    /// caller reports (in the same transaction, so exactly what goes).
    func deleteInTurns(
        _ sql: String,
        _ argument: some DatabaseValueConvertible & Sendable,
        batch: Int,
        tally: String? = nil
    ) async throws -> (deleted: Int, tallied: Int) {
        var (total, tallied) = (0, 0)
        while true {
            let (deleted, counted, finished) = try await committer.write(.redeliverable) {
                db -> (Int, Int, Bool) in
                let turnEnds = ContinuousClock.now + Self.bulkTurn
                let deletion = try db.cachedStatement(sql: sql)
                let counting = try tally.map { try db.cachedStatement(sql: $0) }
                var (deleted, counted) = (0, 0)
                while true {
                    if let counting { counted += try Int.fetchOne(counting, arguments: [argument, batch]) ?? 0 }
                    try deletion.execute(arguments: [argument, batch])
                    deleted += db.changesCount
                    if db.changesCount < batch { return (deleted, counted, true) }
                    // Past its time even when no acknowledgement waits: the writer keeps an item's
                    // journal in memory, and a whole backlog in one item would hold a copy of
                    // every page it deletes from (and the queue's claims behind it).
                    if ContinuousClock.now >= turnEnds { return (deleted, counted, false) }
                }
            }
            total += deleted
            tallied += counted
            if finished { return (total, tallied) }
            // A pause lets acknowledgements find the writer idle: back to back, the turns kept it
            // busy and acknowledgements at 1,000/s waited a median 8 to 13 ms for their commit
            // instead of about 2 (`Benchmarks/run --scenarios purge`).
            try await Task.sleep(for: Self.bulkPause)
        }
    }

    /// Deletes, one row at a time, the rows `select` finds in windows of ids (its first two
    /// arguments, then `arguments`, then a batch's size) up to `newest`, in the same turns as
    /// `deleteInTurns`. For rows a selection may keep (an event whose deliveries still wait) or
    /// that no index finds (a session ended long ago): each statement reads one window, so a
    /// turn ends on time however sparse the rows to delete are, and goes on from where the last
    /// one stopped, so no row is read twice. Deleting an event deletes its deliveries and attempts with it, 50 rows with 25
    /// RPs, so a turn holds a few events: in one transaction, as it was, 20,000 such events held
    /// the writer, and every acknowledgement behind it, for about 6 s on a 2-core machine.
    private func deleteOneByOne(
        from table: String,
        select: String,
        _ arguments: [Int64],
        delete: String,
        through newest: Int64?
    ) async throws -> Int {
        guard let newest else { return 0 }
        var position: Int64 = 0
        var total = 0
        while position < newest {
            let start = position
            let (deleted, reached) = try await committer.write(.redeliverable) { db -> (Int, Int64) in
                let turnEnds = ContinuousClock.now + Self.bulkTurn
                let selection = try db.cachedStatement(sql: select)
                let deletion = try db.cachedStatement(sql: delete)
                // A window starts at the next row there is: every purge walks from the first id,
                // and the ids of rows long purged would cost a window each, more every day.
                let next = try db.cachedStatement(sql: "SELECT min(id) FROM \(table) WHERE id > ?")
                var (deleted, reached) = (0, start)
                while reached < newest {
                    guard let first = try Int64.fetchOne(next, arguments: [reached]), first <= newest else {
                        return (deleted, newest)
                    }
                    reached = first - 1
                    let end = min(reached + Self.bulkWindow, newest)
                    let ids = try Int64.fetchAll(
                        selection,
                        arguments: StatementArguments([reached, end] + arguments + [Self.bulkBatch])
                    )
                    for id in ids {
                        try deletion.execute(arguments: [id])
                        deleted += db.changesCount
                        if ContinuousClock.now >= turnEnds { return (deleted, id) }
                    }
                    // Short of a batch, the window holds no more.
                    reached = ids.count < Self.bulkBatch ? end : ids[ids.count - 1]
                    if ContinuousClock.now >= turnEnds { break }
                }
                return (deleted, reached)
            }
            total += deleted
            position = reached
            if position < newest { try await Task.sleep(for: Self.bulkPause) }
        }
        return total
    }

    /// `VACUUM INTO` on a reader: its own read transaction makes the copy consistent, and WAL
    /// lets writers go on meanwhile, so notifiers are not kept waiting by a backup.
    public func snapshot(into path: String) async throws {
        try await pool.unsafeRead { db in
            try db.execute(sql: "VACUUM INTO ?", arguments: [path])
        }
    }
}
