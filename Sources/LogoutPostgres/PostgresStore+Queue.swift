import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// Leases due deliveries, at most `available[clientID]` per RP and `limit` in all, starting
    /// the round at `rotation`.
    ///
    /// Across replicas: an RP's row is locked before its share is decided (`SKIP LOCKED`: an RP
    /// another replica is claiming for right now is left to it this round), and its breaker and
    /// live leases, all replicas together, are read after the lock is held, so the per-RP cap
    /// and the breaker's single probe hold cluster-wide; rows are taken with `FOR UPDATE SKIP
    /// LOCKED`, so two claims never lease the same delivery.
    ///
    /// Four round trips, however many RPs have something due: the due RPs, read without a lock
    /// to choose the ones this claim can serve; those locked; the locked ones read again, for the
    /// shares `ClaimPlanner` decides; one statement leasing every share. Only the RPs a claim
    /// serves are locked: a lock on every due RP would keep the other replicas' claims and
    /// every outcome batch waiting on RPs this claim takes nothing from.
    public func claimDue(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedDelivery] {
        guard request.limit > 0 else { return [] }
        let (owner, cap) = (self.owner, perRPLeaseCap)
        return try await write { db in
            let candidates = try Self.claimShares(
                of: ClaimPlanner.round(
                    try await Self.dueRelyingParties(request, now: now, db),
                    rotation: request.rotation
                ),
                request,
                now: now,
                cap: cap
            )
            guard !candidates.isEmpty else { return [] }
            let locked = try await db.rows(
                """
                SELECT client_id FROM relying_parties
                WHERE client_id = ANY(\(candidates.map(\.stored.relyingParty.clientID))) AND enabled
                ORDER BY client_id
                FOR NO KEY UPDATE SKIP LOCKED
                """
            ).map { try $0.get("client_id", as: String.self) }
            guard !locked.isEmpty else { return [] }
            let fresh = try await Self.dueRelyingParties(request, now: now, only: locked, db)
            var byID: [String: PostgresRandomAccessRow] = [:]
            for row in fresh { byID[try row.get("client_id", as: String.self)] = row }
            // The round's order, as chosen; the shares from what holds now that the rows are locked.
            let shares = try Self.claimShares(
                of: candidates.compactMap { byID[$0.stored.relyingParty.clientID] },
                request,
                now: now,
                cap: cap
            )
            guard !shares.isEmpty else { return [] }
            let claimed = try await Self.lease(shares, request: request, now: now, owner: owner, db)
            for (index, share) in shares.enumerated() {
                if let breaker = ClaimPlanner.afterClaim(
                    share.stored.breaker,
                    slots: share.slots,
                    leased: claimed[index].count,
                    now: now,
                    lease: request.lease
                ) {
                    try await db.execute(
                        PostgresRows.saveBreaker(breaker, clientID: share.stored.relyingParty.clientID)
                    )
                }
            }
            return claimed.flatMap { $0 }
        }
    }

    /// Stores outcomes and their deliveries' new states in one transaction. The RPs' rows are
    /// locked in name order first, so each breaker is read, fed every verdict and saved without
    /// another replica's outcomes slipping in between.
    ///
    /// An outcome for a delivery no longer under the lease it was attempted under is dropped:
    /// this replica stalled past that lease, and another replica has claimed the delivery since
    /// (even if it has already stored its own outcome and let the lease go), or it ended
    /// meanwhile. The other replica's attempt decides. The lease is told by its owner and
    /// its start (`leased_at`), which nothing but a claim or an outcome changes.
    @discardableResult
    public func recordAttempts(_ reports: [AttemptReport]) async throws -> [Int64] {
        guard !reports.isEmpty else { return [] }
        let owner = self.owner
        return try await write { db in
            let named = Set(reports.map(\.clientID).filter { !$0.isEmpty })
            if !named.isEmpty {
                try await db.execute(
                    """
                    SELECT client_id FROM relying_parties WHERE client_id = ANY(\(named.sorted()))
                    ORDER BY client_id FOR NO KEY UPDATE
                    """
                )
            }
            let (stored, dropped) = try await Self.storeOutcomes(reports, owner: owner, db)
            var current: [String: CircuitBreaker] = [:]
            let clientIDs = BreakerUpdate.relyingParties(of: stored)
            if !clientIDs.isEmpty {
                for row in try await db.rows(
                    """
                    SELECT b.client_id, \(unescaped: PostgresRows.breakerColumns) FROM breakers b
                    WHERE b.client_id = ANY(\(clientIDs.sorted()))
                    """
                ) {
                    current[try row.get("client_id")] = try PostgresRows.breaker(row)
                }
            }
            for (clientID, breaker) in BreakerUpdate.apply(stored, to: current).sorted(by: { $0.key < $1.key }) {
                try await db.execute(PostgresRows.saveBreaker(breaker, clientID: clientID))
            }
            return dropped
        }
    }

    /// Gives this replica's leased deliveries back to the queue, due at `now` (graceful stop).
    public func releaseLeases(ids: [Int64], now: Timestamp) async throws {
        guard !ids.isEmpty else { return }
        let owner = self.owner
        try await write { db in
            try await db.execute(
                """
                UPDATE deliveries SET lease_until = NULL, leased_at = NULL, lease_owner = NULL,
                    next_attempt_at = \(now.millisecondsSince1970)
                WHERE id = ANY(\(ids)) AND status IN ('pending', 'retrying') AND lease_owner = \(owner)
                """
            )
            try await Self.notifyQueue(db)
        }
    }

    /// At start: the leases this replica held when it last stopped are released; those of other
    /// replicas are theirs (a dead replica's expire by themselves and are then claimed again).
    public func releaseAllLeases(now: Timestamp) async throws -> Int {
        let owner = self.owner
        return try await write { db in
            let deliveries = try await db.count(
                """
                UPDATE deliveries SET lease_until = NULL, leased_at = NULL, lease_owner = NULL,
                    next_attempt_at = \(now.millisecondsSince1970)
                WHERE lease_owner = \(owner) AND status IN ('pending', 'retrying') RETURNING 1
                """
            )
            let revocations = try await db.count(
                """
                UPDATE revocations SET lease_until = NULL, lease_owner = NULL, next_attempt_at = \(now.millisecondsSince1970)
                WHERE lease_owner = \(owner) AND status IN ('pending', 'retrying') RETURNING 1
                """
            )
            let securityEvents = try await db.count(
                """
                UPDATE ssf_events SET lease_until = NULL, lease_owner = NULL, next_attempt_at = \(now.millisecondsSince1970)
                WHERE lease_owner = \(owner) AND status IN ('pending', 'held') RETURNING 1
                """
            )
            return deliveries + revocations + securityEvents
        }
    }

    /// An RP whose breaker is open is due at its next probe, not at its deliveries' due times:
    /// else every replica would claim nothing every few milliseconds for the whole outage. One
    /// probe of `deliveries_due` per RP.
    public func nextDueAt() async throws -> Timestamp? {
        try await read { db in
            try await db.value(
                """
                SELECT MIN(CASE WHEN due IS NULL THEN NULL ELSE GREATEST(due, probe) END) FROM (
                    SELECT (SELECT MIN(d.next_attempt_at) FROM deliveries d
                            WHERE d.client_id = r.client_id AND d.status IN ('pending', 'retrying')) AS due,
                        COALESCE(CASE WHEN b.state <> 'closed' THEN b.next_probe_at END, 0) AS probe
                    FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id) AS rps
                """,
                as: Int64?.self
            ).flatMap { $0 }.map(Timestamp.init(millisecondsSince1970:))
        }
    }

    /// Due times further ahead than `latest` come from a wall clock that stepped back.
    public func boundDueTimes(now: Timestamp, latest: Duration) async throws -> Int {
        try await boundDueTimes(of: "deliveries", now: now, latest: latest)
    }

    /// The rows of a queue `table` due later than `now + latest` are brought to it; leased rows
    /// are left to their lease.
    func boundDueTimes(of table: String, now: Timestamp, latest: Duration) async throws -> Int {
        let bound = (now + latest).millisecondsSince1970
        return try await write { db in
            try await db.count(
                """
                UPDATE \(unescaped: table) SET next_attempt_at = \(bound)
                WHERE status IN ('pending', 'retrying') AND lease_until IS NULL AND next_attempt_at > \(bound)
                RETURNING 1
                """
            )
        }
    }
}
