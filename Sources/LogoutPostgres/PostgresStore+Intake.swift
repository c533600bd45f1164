import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// The channel idle dispatchers of every replica listen on.
    static let queueChannel = "logoutd_queue"

    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// transaction; returns once it is committed.
    ///
    /// Across replicas: the replay key is claimed first, by an insert on its primary key, so a
    /// second replica receiving the same token waits for the first one's commit and then sees it
    ///; the sessions are locked in id order, so two logouts of one person end each session
    /// once and never deadlock each other.
    public func recordLogout(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout {
        try await write { db in
            let snapshot = try await Self.intakeSnapshot(IntakePlanner.query(for: logout), now: now, db)
            let plan = IntakePlanner.plan(logout, snapshot, now: now)
            return plan.recorded(eventID: try await Self.write(plan, now: now, db))
        }
    }

    public func replayRecorded(_ replay: ReplayKey, now: Timestamp) async throws -> Bool {
        try await read { db in
            try await db.row(
                """
                SELECT 1 FROM replay WHERE issuer_name = \(replay.issuerName) AND jti = \(replay.key)
                    AND token_hash = \(replay.tokenHash) AND expires_at > \(now.millisecondsSince1970)
                """
            ) != nil
        }
    }

    /// Claims the replay key first (an insert on its primary key, taking over an expired
    /// record): a second replica receiving the same token waits for the first one's commit and
    /// then reads its record. The sessions are locked in id order, so two logouts of one person
    /// end each session once and never deadlock each other.
    static func intakeSnapshot(
        _ query: IntakeQuery,
        now: Timestamp,
        _ db: PostgresSession
    ) async throws
        -> IntakeSnapshot
    {
        var snapshot = IntakeSnapshot()
        if let replay = query.replay {
            let claimed = try await db.count(
                """
                INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at)
                VALUES (\(replay.issuerName), \(replay.key), \(replay.tokenHash), 0, \(replay.expiresAt.millisecondsSince1970))
                ON CONFLICT (issuer_name, jti) DO UPDATE SET token_hash = excluded.token_hash, event_id = 0,
                    expires_at = excluded.expires_at
                WHERE replay.expires_at <= \(now.millisecondsSince1970)
                RETURNING 1
                """
            )
            if claimed == 0,
                let row = try await db.row(
                    """
                    SELECT token_hash, event_id, expires_at FROM replay
                    WHERE issuer_name = \(replay.issuerName) AND jti = \(replay.key)
                    """
                )
            {
                snapshot.previous = ReplayRecord(
                    tokenHash: try row.get("token_hash"),
                    eventID: try row.get("event_id"),
                    expiresAt: try row.time("expires_at")
                )
            }
        }
        guard let filter = query.sessions else { return snapshot }
        var binds = PostgresBindings()
        binds.append(query.issuerName)
        var condition = "s.issuer_name = $1 AND s.ended_at IS NULL"
        if let sid = filter.sid {
            binds.append(sid)
            condition += " AND s.sid = $\(binds.count)"
        }
        if let sub = filter.sub {
            binds.append(sub)
            condition += " AND s.sub = $\(binds.count)"
        }
        let rows = try await db.rows(
            PostgresQuery(
                unsafeSQL: """
                    \(selectSessionsHoldingTokens) WHERE \(condition) ORDER BY s.id FOR UPDATE OF s
                    """,
                binds: binds
            )
        )
        for row in rows {
            let session = try Self.session(row)
            snapshot.sessions.append(session)
            var held: Set<RevocationTokenType> = []
            if try row.get("has_refresh", as: Bool.self) { held.insert(.refreshToken) }
            if try row.get("has_access", as: Bool.self) { held.insert(.accessToken) }
            snapshot.heldTokens[session.id] = held
        }
        let clientIDs = Array(Set(snapshot.sessions.map(\.clientID)))
        if !clientIDs.isEmpty {
            for row in try await db.rows("SELECT * FROM relying_parties WHERE client_id = ANY(\(clientIDs))") {
                let rp = try PostgresRows.relyingParty(row).relyingParty
                snapshot.relyingParties[rp.clientID] = rp
            }
        }
        snapshot.followers = try await db.rows("SELECT * FROM relying_parties WHERE subjects = 'all'")
            .map { try PostgresRows.relyingParty($0).relyingParty }
        snapshot.issuerRevokes =
            try await db.value(
                "SELECT revocation_endpoint IS NOT NULL FROM issuers WHERE name = \(query.issuerName)",
                as: Bool.self
            ) ?? false
        return snapshot
    }

    /// Writes `plan`; the accepted event's id, or 0 when nothing was accepted.
    static func write(_ plan: IntakePlan, now: Timestamp, _ db: PostgresSession) async throws -> Int64 {
        let accepted: AcceptedIntake
        switch plan {
        case .repeated(_, let log):
            if let log { _ = try await insertEvent(db, log) }
            return 0
        case .conflict(let log):
            _ = try await insertEvent(db, log)
            return 0
        case .nothingToEnd:
            return 0
        case .accept(let plan):
            accepted = plan
        }
        let nowMs = now.millisecondsSince1970
        let eventID = try await insertEvent(db, accepted.event)
        // One statement for all deliveries: a fan-out to many RPs costs one round trip.
        let deliveries = accepted.deliveries
        for chunk in stride(from: 0, to: deliveries.count, by: 1000).map({
            deliveries[$0..<min($0 + 1000, deliveries.count)]
        }) {
            var binds = PostgresBindings()
            var values: [String] = []
            for delivery in chunk {
                let skipped = delivery.skipReason != nil
                let first = binds.count + 1
                binds.append(eventID)
                binds.append(delivery.clientID)
                binds.append(delivery.sub)
                binds.append(delivery.sid)
                binds.append(skipped ? DeliveryStatus.skipped.rawValue : DeliveryStatus.pending.rawValue)
                binds.append(nowMs)
                binds.append(skipped ? nil : nowMs)
                binds.append(delivery.skipReason)
                binds.append(skipped ? nowMs : nil)
                binds.append(accepted.event.traceContext?.stored)
                values.append("(" + (first..<first + 10).map { "$\($0)" }.joined(separator: ", ") + ")")
            }
            try await db.execute(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason,
                            finished_at, trace_context)
                        VALUES \(values.joined(separator: ", "))
                        """,
                    binds: binds
                )
            )
        }
        try await insertRevocations(accepted.revocations, eventID: eventID, nowMs: nowMs, db)
        if !accepted.endedSessions.isEmpty {
            // An ended session keeps no upstream token: those to revoke moved to their revocation.
            try await db.execute(
                """
                UPDATE sessions SET ended_at = \(nowMs), ended_by_event = \(eventID), id_token = NULL,
                    access_token = NULL, refresh_token = NULL
                WHERE id = ANY(\(accepted.endedSessions))
                """
            )
        }
        if let replay = accepted.replay {
            try await db.execute(
                "UPDATE replay SET event_id = \(eventID) WHERE issuer_name = \(replay.issuerName) AND jti = \(replay.key)"
            )
        }
        if accepted.wakesDispatchers {
            try await notifyQueue(db)
        }
        return eventID
    }

    /// Wakes idle dispatchers of every replica once the transaction commits.
    static func notifyQueue(_ db: PostgresSession) async throws {
        try await db.execute("SELECT pg_notify(\(queueChannel), '')")
    }
}
