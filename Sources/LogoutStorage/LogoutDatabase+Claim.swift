import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Leases due deliveries, at most `available[clientID]` per RP and `limit` in all, starting the
    /// round at `rotation` so that no RP is always served first. The leases are this process's
    /// (`DeliveryLeases`): the claim writes nothing but a breaker that lets a probe through.
    public func claimDue(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedDelivery] {
        guard request.limit > 0 else { return [] }
        // One turn, not the whole backlog: the retries due meanwhile are claimed after it. A
        // failed turn (the readers and the next turn report it) keeps no row already made from
        // its claim.
        try? await expandFanOutPlans(all: false)
        let lease = DeliveryLeases.Lease(leasedAt: now, until: now + request.lease)
        // Nothing claimed reaches the caller of a claim that fails: the leases taken for it end
        // with the failure, in the writer (before a later claim could skip their rows).
        let undo = DeliveryLeases.Undo()
        return try await committer.write(.redeliverable) { db in
            self.committer.onRollback { self.leases.undo(undo) }
            do {
                return try self.claim(request, lease: lease, now: now, undo: undo, db)
            } catch {
                self.leases.undo(undo)
                throw error
            }
        }
    }

    /// The claim inside the writer's transaction; `undo` keeps the leases it takes (a later RP's
    /// failure rolls back the breakers, not the leases already taken).
    private func claim(
        _ request: ClaimRequest,
        lease: DeliveryLeases.Lease,
        now: Timestamp,
        undo: DeliveryLeases.Undo,
        _ db: Database
    ) throws -> [ClaimedDelivery] {
        let nowMs = now.column
        let rps = try claimable(db)
        var claimed: [ClaimedDelivery] = []
        // Read by position, in this order: by name, GRDB lowercases each name for each row.
        let columns = """
            SELECT d.id, d.event_id, d.sub, d.sid, d.attempts, d.created_at, d.trace_context,
                (d.sid IS NULL AND d.sub IS NOT NULL AND EXISTS (
                    SELECT 1 FROM sessions s
                    WHERE s.client_id = d.client_id AND s.rp_sub = d.sub AND s.created_at > d.created_at
                        AND s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)
                )) AS newer_session
            FROM deliveries d
            """
        let firstDue = try db.cachedStatement(
            sql: columns + "\n" + """
                WHERE d.client_id = ? AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
                ORDER BY d.next_attempt_at LIMIT ?
                """
        )
        // Past the running leases in one statement: their ids are read from the index alone
        // (no session look-up for them), and the rows are walked in due order until the limit.
        // It used to read the ids, then each row by id: a statement per delivery.
        let dueNotRunning = try db.cachedStatement(
            sql: columns + " INDEXED BY deliveries_due\n" + """
                WHERE d.client_id = ? AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= ?
                    AND d.id NOT IN (SELECT value FROM json_each(?))
                ORDER BY d.next_attempt_at LIMIT ?
                """
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
            // The RP's running leases are rows still due by their stored time: read past them.
            let running = leases.running(clientID: rp.clientID, at: now)
            let rows: [Row]
            if running.isEmpty {
                rows = try Row.fetchAll(firstDue, arguments: [nowMs, rp.clientID, nowMs, slots.count])
            } else {
                let leased = "[" + running.keys.map(String.init).joined(separator: ",") + "]"
                rows = try Row.fetchAll(dueNotRunning, arguments: [nowMs, rp.clientID, nowMs, leased, slots.count])
            }
            var ids: [Int64] = []
            for row in rows {
                let id: Int64 = row[0]
                ids.append(id)
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
            leases.add(ids, clientID: rp.clientID, lease, undo: undo)
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

    /// The earliest time a delivery is due, leased ones included (due at their lease's end).
    ///
    /// `INDEXED BY` pins `deliveries_due` (per RP, by due time, waiting rows only): left to
    /// itself SQLite picks the status index and reads every waiting row to find the minimum,
    /// which dominated the profile of a large fan-out.
    /// An RP whose breaker is open is due at its next probe, not at its deliveries' due times:
    /// else the engine would claim nothing every few milliseconds for the whole outage. One
    /// probe of `deliveries_due` per RP.
    ///
    /// A leased row keeps its stored due time, already past: an RP holding leases is due at its
    /// first row not leased, or at a lease's end, whichever comes first. Else the engine would
    /// claim nothing every few milliseconds while an RP's attempts hang.
    public func nextDueAt() async throws -> Timestamp? {
        try? await expandFanOutPlans(all: false)
        // The plans before the rows: a plan made into rows between the two reads is then seen
        // in one of them (its rows are committed before the count says no plan waits).
        let planned = fanOutPlansMayWait ? try await pool.read({ try self.earliestPlanDue($0) }).timestamp : nil
        let rows = try await nextRowDueAt()
        guard let planned else { return rows }
        return rows.map { min($0, planned) } ?? planned
    }

    /// The earliest due time among the rows (a waiting plan's are due when it was recorded).
    private func nextRowDueAt() async throws -> Timestamp? {
        let held = leases.byRelyingParty()
        return try await pool.read { db -> Timestamp? in
            guard !held.isEmpty else {
                return try Int64.fetchOne(
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
            var earliest: Int64?
            let firstDue = try db.cachedStatement(
                sql: """
                    SELECT d.id, d.next_attempt_at FROM deliveries d INDEXED BY deliveries_due
                    WHERE d.client_id = ? AND d.status IN ('pending', 'retrying')
                    ORDER BY d.next_attempt_at LIMIT ?
                    """
            )
            for row in try Row.fetchAll(
                db.cachedStatement(
                    sql: """
                        SELECT r.client_id,
                            (SELECT MIN(d.next_attempt_at) FROM deliveries d INDEXED BY deliveries_due
                                WHERE d.client_id = r.client_id AND d.status IN ('pending', 'retrying')),
                            COALESCE(CASE WHEN b.state <> 'closed' THEN b.next_probe_at END, 0)
                        FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
                        """
                )
            ) {
                var due: Int64? = row[1]
                let clientID: String = row[0]
                if due != nil, let leased = held[clientID] {
                    // The first rows by due time, from the index alone, a leased one due at its
                    // lease's end: the first row not leased is among them, and so is every
                    // leased row due before it.
                    due = nil
                    for first in try Row.fetchAll(firstDue, arguments: [clientID, leased.count + 1]) {
                        let id: Int64 = first[0]
                        let stored: Int64 = first[1]
                        let at = leased[id]?.until.column ?? stored
                        due = min(due ?? at, at)
                    }
                }
                guard let due else { continue }
                let at = max(due, row[2] as Int64)
                earliest = min(earliest ?? at, at)
            }
            return earliest.timestamp
        }
    }
}
