import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// What a claim takes from one RP: at most `count` of its due deliveries.
    struct Share {
        var stored: StoredRelyingParty
        var slots: ClaimPlanner.Slots
        var count: Int
    }

    /// The enabled RPs with something due (or those of `only`), each with its breaker, its live
    /// leases across replicas and how many of its deliveries are due (counted up to the
    /// claim's limit), in name order.
    static func dueRelyingParties(
        _ request: ClaimRequest,
        now: Timestamp,
        only: [String]? = nil,
        _ db: PostgresSession
    ) async throws -> [PostgresRandomAccessRow] {
        let nowMs = now.millisecondsSince1970
        return try await db.rows(
            """
            SELECT r.*, \(unescaped: PostgresRows.breakerColumns),
                (SELECT count(*) FROM deliveries d WHERE d.client_id = r.client_id
                    AND d.lease_until > \(nowMs) AND d.status IN ('pending', 'retrying')) AS leased,
                (SELECT count(*) FROM (
                    SELECT 1 FROM deliveries d WHERE d.client_id = r.client_id
                        AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= \(nowMs)
                    LIMIT \(Int64(request.limit))) due) AS due
            FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
            WHERE r.enabled AND (\(only == nil) OR r.client_id = ANY(\(only ?? [])))
                AND EXISTS (
                    SELECT 1 FROM deliveries d WHERE d.client_id = r.client_id
                        AND d.status IN ('pending', 'retrying') AND d.next_attempt_at <= \(nowMs))
            ORDER BY r.client_id
            """
        )
    }

    /// Each RP's share of the claim, `rows` taken in the round's order, as `ClaimPlanner` decides
    /// it, bounded by what the RP has due.
    static func claimShares(
        of rows: [PostgresRandomAccessRow],
        _ request: ClaimRequest,
        now: Timestamp,
        cap: Int
    ) throws -> [Share] {
        var shares: [Share] = []
        var remaining = request.limit
        for row in rows {
            guard remaining > 0 else { break }
            let stored = try PostgresRows.relyingParty(row)
            let slots = ClaimPlanner.slots(
                for: stored.relyingParty.clientID,
                request,
                remaining: remaining,
                breaker: stored.breaker,
                now: now,
                leasedElsewhere: Int(try row.get("leased", as: Int64.self)),
                cap: cap
            )
            let count = min(slots.count, Int(try row.get("due", as: Int64.self)))
            guard count > 0 else { continue }
            remaining -= count
            shares.append(Share(stored: stored, slots: slots, count: count))
        }
        return shares
    }

    /// Leases every RP's share in one statement (each RP's oldest due rows, `SKIP LOCKED`);
    /// returns what each share leased, in the shares' order, each in due order.
    static func lease(
        _ shares: [Share],
        request: ClaimRequest,
        now: Timestamp,
        owner: String,
        _ db: PostgresSession
    ) async throws -> [[ClaimedDelivery]] {
        let nowMs = now.millisecondsSince1970
        let leaseEnd = (now + request.lease).millisecondsSince1970
        let wanted = JSONSerializer.string(
            .array(shares.map { .array([.string($0.stored.relyingParty.clientID), .integer($0.count)]) })
        )
        let rows = try await db.rows(
            """
            WITH wanted AS (
                SELECT e->>0 AS client_id, (e->>1)::BIGINT AS take, position
                FROM json_array_elements(\(wanted)::json) WITH ORDINALITY AS w (e, position)
            ), due AS (
                SELECT picked.id, picked.next_attempt_at AS due_at, wanted.position
                FROM wanted CROSS JOIN LATERAL (
                    SELECT id, next_attempt_at FROM deliveries
                    WHERE client_id = wanted.client_id AND status IN ('pending', 'retrying')
                        AND next_attempt_at <= \(nowMs)
                    ORDER BY next_attempt_at, id LIMIT wanted.take
                    FOR UPDATE SKIP LOCKED) picked
            )
            UPDATE deliveries d SET next_attempt_at = \(leaseEnd), lease_until = \(leaseEnd), leased_at = \(nowMs),
                lease_owner = \(owner)
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.event_id, d.sub, d.sid, d.attempts, d.created_at, due.due_at, due.position, d.leased_at,
                d.trace_context,
                (d.sid IS NULL AND d.sub IS NOT NULL AND EXISTS (
                    SELECT 1 FROM sessions s
                    WHERE s.client_id = d.client_id AND s.rp_sub = d.sub AND s.created_at > d.created_at
                        AND s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > \(nowMs))
                )) AS newer_session
            """
        )
        var leased = [[(dueAt: Int64, claimed: ClaimedDelivery)]](repeating: [], count: shares.count)
        for row in rows {
            let index = Int(try row.get("position", as: Int64.self)) - 1
            guard shares.indices.contains(index) else { continue }
            let rp = shares[index].stored
            leased[index].append(
                (
                    try row.get("due_at", as: Int64.self),
                    ClaimedDelivery(
                        id: try row.get("id"),
                        eventID: try row.get("event_id"),
                        clientID: rp.relyingParty.clientID,
                        sub: try row.get("sub"),
                        sid: try row.get("sid"),
                        attempts: Int(try row.get("attempts", as: Int64.self)),
                        createdAt: try row.time("created_at"),
                        uri: rp.relyingParty.backchannelLogoutURI,
                        signingAlgorithm: rp.relyingParty.signingAlgorithm,
                        sealedClientSecret: rp.sealedClientSecret,
                        tokenIssuer: rp.relyingParty.tokenIssuer,
                        newerSessionExists: try row.get("newer_session"),
                        leaseStamp: try row.get("leased_at", as: Int64.self),
                        traceContext: try row.get("trace_context", as: String?.self).flatMap(TraceContext.init(stored:))
                    )
                )
            )
        }
        return leased.map { share in
            share.sorted { ($0.dueAt, $0.claimed.id) < ($1.dueAt, $1.claimed.id) }.map(\.claimed)
        }
    }
}
