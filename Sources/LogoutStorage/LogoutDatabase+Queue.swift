import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Leases due deliveries, at most `available[clientID]` per RP and `limit` in all, starting the
    /// round at `rotation` so that no RP is always served first.
    public func claimDue(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedDelivery] {
        guard request.limit > 0 else { return [] }
        return try await committer.write(.redeliverable) { db in
            let nowMs = now.column
            let leaseEnd = (now + request.lease).column
            let rps = try self.claimable(db)
            var claimed: [ClaimedDelivery] = []
            let select = try db.cachedStatement(
                sql: """
                    SELECT d.id, d.event_id, d.sub, d.sid, d.attempts, d.created_at, d.trace_context,
                        (d.sid IS NULL AND d.sub IS NOT NULL AND EXISTS (
                            SELECT 1 FROM sessions s
                            WHERE s.client_id = d.client_id AND s.rp_sub = d.sub AND s.created_at > d.created_at
                                AND s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)
                        )) AS newer_session
                    FROM deliveries d
                    WHERE d.client_id = ? AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
                    ORDER BY d.next_attempt_at LIMIT ?
                    """
            )
            let lease = try db.cachedStatement(
                sql: "UPDATE deliveries SET next_attempt_at = ?, lease_until = ?, leased_at = ? WHERE id = ?"
            )
            for stored in ClaimPlanner.round(rps, rotation: request.rotation) {
                let remaining = request.limit - claimed.count
                guard remaining > 0 else { break }
                let rp = stored.relyingParty
                let slots = ClaimPlanner.slots(
                    for: rp.clientID,
                    request,
                    remaining: remaining,
                    breaker: stored.breaker,
                    now: now
                )
                guard slots.count > 0 else { continue }
                let before = claimed.count
                // Read by position, in the order of the `SELECT` above: by name, GRDB lowercases
                // each name for each row.
                for row in try Row.fetchAll(select, arguments: [nowMs, rp.clientID, nowMs, slots.count]) {
                    let id: Int64 = row[0]
                    try lease.execute(arguments: [leaseEnd, leaseEnd, nowMs, id])
                    claimed.append(
                        ClaimedDelivery(
                            id: id,
                            eventID: row[1],
                            clientID: rp.clientID,
                            sub: row[2],
                            sid: row[3],
                            attempts: row[4],
                            createdAt: Timestamp(column: row[5]),
                            uri: rp.backchannelLogoutURI,
                            signingAlgorithm: rp.signingAlgorithm,
                            sealedClientSecret: stored.sealedClientSecret,
                            tokenIssuer: rp.tokenIssuer,
                            newerSessionExists: row[7],
                            traceContext: (row[6] as String?).flatMap(TraceContext.init(stored:))
                        )
                    )
                }
                if let breaker = ClaimPlanner.afterClaim(
                    stored.breaker,
                    slots: slots,
                    leased: claimed.count - before,
                    now: now,
                    lease: request.lease
                ) {
                    try breaker.save(clientID: rp.clientID, db)
                }
            }
            return claimed
        }
    }

    /// The enabled RPs in client-id order with their breakers: the RPs as decoded when the
    /// registry last changed, the breakers read fresh (claims and outcomes change them).
    func claimable(_ db: Database) throws -> [StoredRelyingParty] {
        let enabled = try claimableCache.elements(db) { db in
            try RelyingPartyRow.fetchAll(db.cachedStatement(sql: RelyingPartyRow.selectEnabled)).map(\.value)
        }
        // Keyed by the id's bytes, as SQLite compares them: Swift's `String` equality would take
        // "é" and "e" + U+0301, two client ids to SQLite, for one and lend one's breaker to both.
        var breakers: [[UInt8]: CircuitBreaker] = [:]
        for row in try Row.fetchAll(db.cachedStatement(sql: CircuitBreaker.selectByRelyingParty)) {
            breakers[Array((row[0] as String).utf8)] = CircuitBreaker(joined: row)
        }
        guard !breakers.isEmpty else { return enabled }
        return enabled.map { stored in
            var stored = stored
            stored.breaker = breakers[Array(stored.relyingParty.clientID.utf8)] ?? CircuitBreaker()
            return stored
        }
    }

    /// Stores outcomes and their deliveries' new states in one write; concurrent writes share a
    /// commit. An RP's breaker is read and saved once per call, whatever the number of its outcomes.
    /// One process holds this file's leases (its lock), and it starts no attempt its lease cannot
    /// cover: no outcome is ever another's, none is dropped.
    @discardableResult
    public func recordAttempts(_ reports: [AttemptReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        try await committer.write(.redeliverable) { db in
            var stored: [(report: AttemptReport, clientID: String)] = []
            for report in reports {
                try Self.storeOutcome(report, db)
                if let clientID = try Self.clientID(of: report, db) { stored.append((report, clientID)) }
            }
            var current: [String: CircuitBreaker] = [:]
            for clientID in BreakerUpdate.relyingParties(of: stored) {
                current[clientID] = try CircuitBreaker.load(clientID: clientID, db)
            }
            for (clientID, breaker) in BreakerUpdate.apply(stored, to: current) {
                try breaker.save(clientID: clientID, db)
            }
        }
        return []
    }

    /// The report's RP; read from the row only for a report that does not name it.
    private static func clientID(of report: AttemptReport, _ db: Database) throws -> String? {
        if !report.clientID.isEmpty { return report.clientID }
        return try String.fetchOne(
            db.cachedStatement(sql: "SELECT client_id FROM deliveries WHERE id = ?"),
            arguments: [report.deliveryID]
        )
    }

    private static func storeOutcome(_ report: AttemptReport, _ db: Database) throws {
        let t = report.transition
        try db.cachedStatement(
            sql: """
                UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = NULL,
                    leased_at = NULL, delivered_at = ?, last_status_code = ?, last_error = ?, reason = ?,
                    finished_at = ?
                WHERE id = ?
                """
        ).execute(arguments: [
            t.status.rawValue, t.attempts, t.nextAttemptAt?.column, t.deliveredAt?.column, t.lastStatusCode,
            t.lastError.map { SafeText.truncated($0, limit: 1024) },
            t.reason.map { SafeText.truncated($0, limit: 1024) },
            t.finishedAt?.column, report.deliveryID,
        ])
        guard let attempt = report.attempt else { return }
        try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code,
                    error_class, jti, rp_error, next_attempt_at, remote_address, trace_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            attempt.deliveryID, attempt.attempt, attempt.startedAt.column, attempt.duration.wholeMilliseconds,
            attempt.statusCode, attempt.errorClass?.rawValue, attempt.jti,
            attempt.rpError.map { SafeText.truncated($0, limit: 1024) }, attempt.nextAttemptAt?.column,
            attempt.remoteAddress, attempt.traceID,
        ])
    }

    /// Gives leased deliveries back to the queue, due at `now` (graceful stop). Only
    /// what is still leased: an outcome stored first keeps its due time.
    public func releaseLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'retrying') AND lease_until IS NOT NULL
                    """
            )
            for id in ids {
                try statement.execute(arguments: [now.column, id])
            }
        }
    }

    /// At start, every lease belongs to a process that is gone (one daemon per database, held by
    /// the lock file): its deliveries and revocations are due again at once. Returns how many.
    public func releaseAllLeases(now: Timestamp) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, leased_at = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """,
                arguments: [now.column]
            )
            let released = db.changesCount
            try db.execute(
                sql: """
                    UPDATE revocations SET lease_until = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """,
                arguments: [now.column]
            )
            let revocations = db.changesCount
            try db.execute(
                sql: """
                    UPDATE ssf_events SET lease_until = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'held')
                    """,
                arguments: [now.column]
            )
            return released + revocations + db.changesCount
        }
    }

    /// The earliest time a delivery is due, leased ones included.
    ///
    /// `INDEXED BY` pins `deliveries_due` (per RP, by due time, waiting rows only): left to
    /// itself SQLite picks the status index and reads every waiting row to find the minimum,
    /// which dominated the profile of a large fan-out.
    /// An RP whose breaker is open is due at its next probe, not at its deliveries' due times:
    /// else the engine would claim nothing every few milliseconds for the whole outage. One
    /// probe of `deliveries_due` per RP.
    public func nextDueAt() async throws -> Timestamp? {
        try await pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT MIN(MAX(
                            (SELECT MIN(d.next_attempt_at) FROM deliveries d INDEXED BY deliveries_due
                                WHERE d.client_id = r.client_id AND d.status IN ('pending', 'retrying')),
                            COALESCE(CASE WHEN b.state <> 'closed' THEN b.next_probe_at END, 0)))
                        FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
                        """
                )
            ).timestamp
        }
    }

    /// Due times further ahead than `latest` come from a wall clock that stepped back; they
    /// are brought to `now + latest`. Leased rows are left to their lease.
    public func boundDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "deliveries", now: now, latest: latest)
    }

    /// The rows of a queue `table` due later than `now + latest` are brought to it; leased rows
    /// are left to their lease.
    func boundDueTimes(of table: String, now: Timestamp, latest: Duration) async throws -> Int {
        let bound = (now + latest).column
        return try await committer.write { db in
            try db.execute(
                sql: """
                    UPDATE \(table) SET next_attempt_at = ?
                    WHERE status IN ('pending', 'retrying') AND lease_until IS NULL AND next_attempt_at > ?
                    """,
                arguments: [bound, bound]
            )
            return db.changesCount
        }
    }
}
