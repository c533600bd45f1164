import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// The channel idle dispatchers of every replica listen on.
    static let queueChannel = "logoutd_queue"

    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// transaction (IN-17, RES-2); returns once it is committed.
    ///
    /// Across replicas: the replay key is claimed first, by an insert on its primary key, so a
    /// second replica receiving the same token waits for the first one's commit and then sees it
    /// (IN-12); the sessions are locked in id order, so two logouts of one person end each session
    /// once and never deadlock each other.
    public func recordLogout(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout {
        try await write { session in
            try await Self.recordLogout(logout, now: now, session)
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

    static func recordLogout(
        _ logout: AcceptedLogout,
        now: Timestamp,
        _ db: PostgresSession
    ) async throws -> RecordedLogout {
        let nowMs = now.millisecondsSince1970
        let request = logout.request
        if let replay = logout.replay {
            let claimed = try await db.count(
                """
                INSERT INTO replay (issuer_name, jti, token_hash, event_id, expires_at)
                VALUES (\(replay.issuerName), \(replay.key), \(replay.tokenHash), 0, \(replay.expiresAt.millisecondsSince1970))
                ON CONFLICT (issuer_name, jti) DO UPDATE SET token_hash = excluded.token_hash, event_id = 0,
                    expires_at = excluded.expires_at
                WHERE replay.expires_at <= \(nowMs)
                RETURNING 1
                """
            )
            if claimed == 0,
                let previous = try await db.row(
                    "SELECT token_hash, event_id FROM replay WHERE issuer_name = \(replay.issuerName) AND jti = \(replay.key)"
                )
            {
                let sameToken = try previous.get("token_hash", as: String.self) == replay.tokenHash
                if replay.logsRepeats || !sameToken {
                    _ = try await insertEvent(
                        db,
                        Event(
                            logout,
                            at: now,
                            outcome: sameToken ? .duplicate : .rejected,
                            reason: sameToken ? nil : "IN-12: jti was already used by a different token"
                        )
                    )
                }
                return sameToken
                    ? .duplicate(originalEventID: try previous.get("event_id")) : .replayConflict
            }
        }

        let sessions = try await matchingSessions(request, nowMs: nowMs, db)
        var relyingParties: [String: RelyingParty] = [:]
        let clientIDs = Array(Set(sessions.map(\.clientID)))
        if !clientIDs.isEmpty {
            for row in try await db.rows("SELECT * FROM relying_parties WHERE client_id = ANY(\(clientIDs))") {
                let rp = try PostgresRows.relyingParty(row).relyingParty
                relyingParties[rp.clientID] = rp
            }
        }
        let followers = try await db.rows("SELECT * FROM relying_parties WHERE subjects = 'all'")
            .map { try PostgresRows.relyingParty($0).relyingParty }
        let plan = FanOutPlanner.plan(
            request: request,
            sessions: sessions,
            relyingParties: relyingParties,
            followers: followers
        )
        let eventID = try await insertEvent(db, Event(logout, at: now, outcome: .accepted, deliveries: plan.count))
        // One statement for all deliveries: a fan-out to many RPs costs one round trip.
        for chunk in stride(from: 0, to: plan.count, by: 1000).map({ plan[$0..<min($0 + 1000, plan.count)] }) {
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
                values.append("(" + (first..<first + 9).map { "$\($0)" }.joined(separator: ", ") + ")")
            }
            try await db.execute(
                PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason,
                            finished_at)
                        VALUES \(values.joined(separator: ", "))
                        """,
                    binds: binds
                )
            )
        }
        if !sessions.isEmpty {
            try await queueRevocations(of: sessions, eventID: eventID, nowMs: nowMs, db)
            let ids = sessions.map(\.id)
            // An ended session keeps no upstream token: those to revoke moved to their revocation.
            try await db.execute(
                """
                UPDATE sessions SET ended_at = \(nowMs), ended_by_event = \(eventID), id_token = NULL,
                    access_token = NULL, refresh_token = NULL
                WHERE id = ANY(\(ids))
                """
            )
        }
        if let replay = logout.replay {
            try await db.execute(
                "UPDATE replay SET event_id = \(eventID) WHERE issuer_name = \(replay.issuerName) AND jti = \(replay.key)"
            )
        }
        if plan.contains(where: { $0.skipReason == nil }) {
            try await notifyQueue(db)
        }
        return .accepted(
            eventID: eventID,
            deliveries: plan.count,
            skipped: plan.filter { $0.skipReason != nil }.map(\.clientID)
        )
    }

    /// Wakes idle dispatchers of every replica once the transaction commits.
    static func notifyQueue(_ db: PostgresSession) async throws {
        try await db.execute("SELECT pg_notify(\(queueChannel), '')")
    }

    /// RES-2: with a `sid`, the sessions of that upstream session; with only `sub`, every
    /// session of the subject at this issuer. Locked, so a concurrent logout waits and then no
    /// longer finds them live.
    static func matchingSessions(
        _ request: LogoutRequest,
        nowMs: Int64,
        _ db: PostgresSession
    ) async throws -> [Session] {
        let live = "s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > $1)"
        var binds = PostgresBindings()
        binds.append(nowMs)
        binds.append(request.issuerName)
        var condition = "s.issuer_name = $2"
        if let sid = request.sid {
            binds.append(sid)
            condition += " AND s.sid = $3"
            if let sub = request.sub {
                binds.append(sub)
                condition += " AND s.sub = $4"
            }
        } else if let sub = request.sub {
            binds.append(sub)
            condition += " AND s.sub = $3"
        } else {
            return []
        }
        let rows = try await db.rows(
            PostgresQuery(
                unsafeSQL: "\(selectSessions) WHERE \(condition) AND \(live) ORDER BY s.id FOR UPDATE OF s",
                binds: binds
            )
        )
        return try rows.map(session(_:))
    }
}
