import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// The channel idle dispatchers of every replica listen on.
    static let queueChannel = "logoutd_queue"

    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// transaction; returns once it is committed. A logout is five round trips (`BEGIN`, the
    /// replay key, the sessions, their RPs, the write) and `COMMIT`: each costs the replica about
    /// as much CPU as the work it carries.
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
        // The sessions' RPs, every follower and the issuer's revocation endpoint in one round
        // trip: the one-row `VALUES` keeps the issuer's answer when no RP matches.
        let clientIDs = Array(Set(snapshot.sessions.map(\.clientID)))
        for row in try await db.rows(
            """
            SELECT (SELECT revocation_endpoint IS NOT NULL FROM issuers WHERE name = \(query.issuerName)) AS issuer_revokes,
                rp.*
            FROM (VALUES (1)) AS one (x)
            LEFT JOIN relying_parties rp ON rp.subjects = 'all' OR rp.client_id = ANY(\(clientIDs))
            ORDER BY rp.client_id
            """
        ) {
            snapshot.issuerRevokes = try row.get("issuer_revokes", as: Bool?.self) ?? false
            guard try row.get("client_id", as: String?.self) != nil else { continue }
            let rp = try PostgresRows.relyingParty(row).relyingParty
            if clientIDs.contains(rp.clientID) { snapshot.relyingParties[rp.clientID] = rp }
            if try row.get("subjects", as: String.self) == "all" { snapshot.followers.append(rp) }
        }
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
        // Revocations read the sessions' tokens, which ending the sessions erases: with any, the
        // sessions end after them, in statements of their own (rare: only an issuer that
        // revokes and sessions holding tokens).
        let endsSessionsNow = accepted.revocations.isEmpty
        let endedSessions = endsSessionsNow ? accepted.endedSessions : []
        var binds = PostgresBindings()
        let eventRow = Self.eventRow(accepted.event, &binds)
        func value<Value: PostgresNonThrowingEncodable>(_ value: Value) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        func value<Value: PostgresNonThrowingEncodable>(_ value: Value?) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let (now, trace) = (value(nowMs), value(accepted.event.traceContext?.stored))
        let (queued, skipped) = (value(DeliveryStatus.pending.rawValue), value(DeliveryStatus.skipped.rawValue))
        // One statement, one round trip: the event, its deliveries from the plan's JSON (in the
        // plan's order, so ids follow it), the sessions it ends, its replay record's event id and
        // the dispatchers' wake-up, which is sent when the transaction commits.
        let statement = PostgresQuery(
            unsafeSQL: """
                WITH event AS (
                    INSERT INTO events (\(Self.eventColumns)) VALUES \(eventRow) RETURNING id
                ), queued AS (
                    INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason,
                        finished_at, trace_context)
                    SELECT event.id, d.entry->>0, d.entry->>1, d.entry->>2,
                        CASE WHEN d.entry->>3 IS NULL THEN \(queued) ELSE \(skipped) END, \(now),
                        CASE WHEN d.entry->>3 IS NULL THEN \(now) END, d.entry->>3,
                        CASE WHEN d.entry->>3 IS NULL THEN NULL ELSE \(now) END, \(trace)
                    FROM event, json_array_elements(\(value(FanOutPlanText.encode(accepted.deliveries)))::json)
                        WITH ORDINALITY AS d (entry, position)
                    ORDER BY d.position
                ), ended AS (
                    UPDATE sessions SET ended_at = \(now), ended_by_event = event.id, id_token = NULL,
                        access_token = NULL, refresh_token = NULL
                    FROM event WHERE sessions.id = ANY(\(value(endedSessions)))
                ), replayed AS (
                    UPDATE replay SET event_id = event.id
                    FROM event
                    WHERE replay.issuer_name = \(value(accepted.replay?.issuerName))
                        AND replay.jti = \(value(accepted.replay?.key))
                )
                SELECT id, (SELECT count(*) FROM (
                    SELECT pg_notify(\(value(Self.queueChannel)), '') WHERE \(value(accepted.wakesDispatchers))) n)
                FROM event
                """,
            binds: binds
        )
        guard let eventID = try await db.value(statement, as: Int64.self) else {
            throw Failure(description: "an inserted event returned no id")
        }
        if !endsSessionsNow {
            try await insertRevocations(accepted.revocations, eventID: eventID, nowMs: nowMs, db)
            // An ended session keeps no upstream token: those to revoke moved to their revocation.
            try await db.execute(
                """
                UPDATE sessions SET ended_at = \(nowMs), ended_by_event = \(eventID), id_token = NULL,
                    access_token = NULL, refresh_token = NULL
                WHERE id = ANY(\(accepted.endedSessions))
                """
            )
        }
        return eventID
    }

    /// Wakes idle dispatchers of every replica once the transaction commits.
    static func notifyQueue(_ db: PostgresSession) async throws {
        try await db.execute("SELECT pg_notify(\(queueChannel), '')")
    }
}
