import Foundation
import GRDB
import LogoutCore

/// A delivery taken from the queue under a lease, with what an attempt needs to know of its RP.
public struct ClaimedDelivery: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var clientID: String
    public var sub: String?
    public var sid: String?
    public var attempts: Int
    public var createdAt: Date
    public var uri: String
    public var signingAlgorithm: SigningAlgorithm
    public var sealedClientSecret: [UInt8]?
    public var tokenIssuer: String?
    public var allowHTTP: Bool
    /// RES-5: a subject-wide delivery whose subject has a live session at this RP that began
    /// after the delivery was created. Read in the claim, so an attempt needs no query of its own.
    public var newerSessionExists: Bool
}

/// The outcome of one attempt, to store with the delivery's new state.
public struct AttemptReport: Sendable {
    public var deliveryID: Int64
    public var attempt: AttemptRecord?
    public var transition: DeliveryTransition

    public init(deliveryID: Int64, attempt: AttemptRecord?, transition: DeliveryTransition) {
        self.deliveryID = deliveryID
        self.attempt = attempt
        self.transition = transition
    }
}

extension LogoutDatabase {
    /// Leases due deliveries, at most `available[clientID]` per RP and `limit` in all, starting the
    /// round at `rotation` so that no RP is always served first (DEL-7).
    public func claimDue(
        now: Date,
        leaseSeconds: Double,
        limit: Int,
        available: [String: Int],
        defaultAvailable: Int,
        rotation: Int
    ) async throws -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        return try await committer.write { db in
            let nowMs = now.milliseconds
            let leaseEnd = nowMs + leaseSeconds.storageMilliseconds
            let rps = try StoredRelyingParty.fetchAll(
                db.cachedStatement(sql: "SELECT * FROM relying_parties WHERE enabled = 1 ORDER BY client_id")
            )
            guard !rps.isEmpty else { return [] }
            let start = rotation % rps.count
            let ordered = rps[start...] + rps[..<start]
            var claimed: [ClaimedDelivery] = []
            let select = try db.cachedStatement(
                sql: """
                    SELECT d.id, d.event_id, d.sub, d.sid, d.attempts, d.created_at,
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
                sql: "UPDATE deliveries SET next_attempt_at = ?, lease_until = ? WHERE id = ?"
            )
            for stored in ordered {
                let remaining = limit - claimed.count
                guard remaining > 0 else { break }
                let rp = stored.relyingParty
                let slots = min(available[rp.clientID] ?? defaultAvailable, remaining)
                guard slots > 0 else { continue }
                let rows = try Row.fetchAll(select, arguments: [nowMs, rp.clientID, nowMs, slots])
                for row in rows {
                    let id: Int64 = row["id"]
                    try lease.execute(arguments: [leaseEnd, leaseEnd, id])
                    claimed.append(
                        ClaimedDelivery(
                            id: id,
                            eventID: row["event_id"],
                            clientID: rp.clientID,
                            sub: row["sub"],
                            sid: row["sid"],
                            attempts: row["attempts"],
                            createdAt: Date(milliseconds: row["created_at"]),
                            uri: rp.backchannelLogoutURI,
                            signingAlgorithm: rp.signingAlgorithm,
                            sealedClientSecret: stored.sealedClientSecret,
                            tokenIssuer: rp.tokenIssuer,
                            allowHTTP: rp.allowHTTP,
                            newerSessionExists: row["newer_session"]
                        )
                    )
                }
            }
            return claimed
        }
    }

    /// Stores one attempt and the delivery's new state; concurrent reports share a commit.
    public func recordAttempt(_ report: AttemptReport) async throws {
        try await committer.write { db in
            let t = report.transition
            try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = NULL,
                        delivered_at = ?, last_status_code = ?, last_error = ?, reason = ?
                    WHERE id = ?
                    """
            ).execute(arguments: [
                t.status.rawValue, t.attempts, t.nextAttemptAt?.storageMilliseconds,
                t.deliveredAt?.storageMilliseconds, t.lastStatusCode, t.lastError.map { String($0.prefix(1024)) },
                t.reason.map { String($0.prefix(1024)) }, report.deliveryID,
            ])
            if let attempt = report.attempt {
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code,
                            error_class, jti, rp_error, next_attempt_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    attempt.deliveryID, attempt.attempt, attempt.startedAt.milliseconds, attempt.durationMilliseconds,
                    attempt.statusCode, attempt.errorClass?.rawValue, attempt.jti,
                    attempt.rpError.map { String($0.prefix(1024)) }, attempt.nextAttemptAt?.milliseconds,
                ])
            }
        }
    }

    /// Gives leased deliveries back to the queue, due at `now` (graceful stop, Q-5).
    public func releaseLeases(ids: [Int64], now: Date) async throws {
        guard !ids.isEmpty else { return }
        try await pool.write { db in
            let statement = try db.cachedStatement(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, next_attempt_at = ?
                    WHERE id = ? AND status IN ('pending', 'retrying')
                    """
            )
            for id in ids {
                try statement.execute(arguments: [now.milliseconds, id])
            }
        }
    }

    /// At start, every lease belongs to a process that is gone (one daemon per database, held by
    /// the lock file): its deliveries are due again at once. Returns how many.
    public func releaseAllLeases(now: Date) async throws -> Int {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE deliveries SET lease_until = NULL, next_attempt_at = ?
                    WHERE lease_until IS NOT NULL AND status IN ('pending', 'retrying')
                    """,
                arguments: [now.milliseconds]
            )
            return db.changesCount
        }
    }

    /// The earliest time a delivery is due, leased ones included.
    ///
    /// `INDEXED BY` pins the partial index on `next_attempt_at`: left to itself SQLite picks the
    /// status index and reads every waiting row to find the minimum, which dominated the profile
    /// of a large fan-out.
    public func nextDueAt() async throws -> Date? {
        try await pool.read { db in
            try Int64.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT next_attempt_at FROM deliveries INDEXED BY deliveries_next
                        WHERE status IN ('pending', 'retrying') ORDER BY next_attempt_at LIMIT 1
                        """
                )
            ).date
        }
    }
}
