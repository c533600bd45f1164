import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Records the event, its replay record, the sessions it ends, their revocations and all its
    /// deliveries in one committed transaction. Returns only once the commit is durable.
    /// What is written is `IntakePlanner`'s decision over what this transaction read.
    public func recordLogout(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout {
        let recorded = try await committer.write { db in
            let snapshot = try self.intakeSnapshot(IntakePlanner.query(for: logout), db)
            let plan = IntakePlanner.plan(logout, snapshot, now: now)
            return plan.recorded(eventID: try self.write(plan, now: now, db))
        }
        if case .accepted(_, let deliveries, _, _) = recorded, deliveries > 0 { expandFanOutPlansSoon() }
        return recorded
    }

    public func replayRecorded(_ replay: ReplayKey, now: Timestamp) async throws -> Bool {
        try await pool.read { db in
            try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM replay WHERE issuer_name = ? AND jti = ? AND token_hash = ? AND expires_at > ?",
                arguments: [replay.issuerName, replay.key, replay.tokenHash, now.column]
            ) ?? false
        }
    }

    /// Queues a rejected (or deferred) request for the log without waiting: it rides along in a
    /// later commit and never delays an acknowledgement. Returns false when the queue is
    /// full and the entry was dropped.
    @discardableResult
    public func enqueueRejection(_ rejection: RejectedLogout, now: Timestamp) -> Bool {
        let event = NewEvent(rejection, at: now)
        return committer.enqueueBackground { db in _ = try Self.insert(event, db) }
    }

    /// Commits queued rejections now; the daemon calls it a few times a second.
    public func flushRejections() async throws {
        try await committer.flushBackground()
    }

    /// Rejections dropped because their queue was full, since the last call (for metrics).
    public func takeDroppedRejections() -> Int {
        committer.takeDroppedBackgroundCount()
    }

    func intakeSnapshot(_ query: IntakeQuery, _ db: Database) throws -> IntakeSnapshot {
        var snapshot = IntakeSnapshot()
        if let replay = query.replay,
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT token_hash, event_id, expires_at FROM replay WHERE issuer_name = ? AND jti = ?"
                ),
                arguments: [replay.issuerName, replay.key]
            )
        {
            snapshot.previous = ReplayRecord(
                tokenHash: row["token_hash"],
                eventID: row["event_id"],
                expiresAt: Timestamp(column: row["expires_at"])
            )
        }
        guard let filter = query.sessions else { return snapshot }
        var conditions = "s.issuer_name = ? AND s.ended_at IS NULL"
        var arguments: [(any DatabaseValueConvertible)?] = [query.issuerName]
        if let sid = filter.sid {
            conditions += " AND s.sid = ?"
            arguments.append(sid)
        }
        if let sub = filter.sub {
            conditions += " AND s.sub = ?"
            arguments.append(sub)
        }
        let rows = try Row.fetchAll(
            db.cachedStatement(sql: "\(Session.selectHoldingTokens) WHERE \(conditions)"),
            arguments: StatementArguments(arguments)
        )
        snapshot.sessions = rows.map(Session.init(row:))
        for row in rows {
            var held: Set<RevocationTokenType> = []
            if row["has_refresh"] as Bool { held.insert(.refreshToken) }
            if row["has_access"] as Bool { held.insert(.accessToken) }
            snapshot.heldTokens[row["id"]] = held
        }
        for clientID in Set(snapshot.sessions.map(\.clientID)) {
            if let stored = try RelyingPartyRow.fetchOne(
                db.cachedStatement(sql: RelyingPartyRow.selectOne),
                arguments: [clientID]
            ) {
                snapshot.relyingParties[clientID] = stored.value.relyingParty
            }
        }
        snapshot.followers = try followers(db)
        snapshot.issuerRevokes =
            try Bool.fetchOne(
                db.cachedStatement(sql: "SELECT revocation_endpoint IS NOT NULL FROM issuers WHERE name = ?"),
                arguments: [query.issuerName]
            ) ?? false
        return snapshot
    }

    /// The RPs that follow every subject, decoded again only when the registry changed.
    func followers(_ db: Database) throws -> [RelyingParty] {
        try followerCache.elements(db) { db in
            try RelyingPartyRow.fetchAll(db.cachedStatement(sql: RelyingPartyRow.selectFollowers))
                .map(\.value.relyingParty)
        }
    }

    /// Writes `plan`; the accepted event's id, or 0 when nothing was accepted. The deliveries
    /// go as one plan row (`LogoutDatabase+FanOutPlans`).
    func write(_ plan: IntakePlan, now: Timestamp, _ db: Database) throws -> Int64 {
        switch plan {
        case .repeated(_, let log):
            if let log { _ = try Self.insert(log, db) }
            return 0
        case .conflict(let log):
            _ = try Self.insert(log, db)
            return 0
        case .nothingToEnd:
            return 0
        case .accept(let accepted):
            let eventID = try Self.insert(accepted.event, db)
            let nowMs = now.column
            try writeFanOutPlan(accepted.deliveries, eventID: eventID, nowMs: nowMs, db)
            try Self.insertRevocations(accepted.revocations, eventID: eventID, nowMs: nowMs, db: db)
            // An ended session keeps no upstream token: those to revoke moved to their revocation.
            let endSession = try db.cachedStatement(
                sql: """
                    UPDATE sessions SET ended_at = ?, ended_by_event = ?, id_token = NULL, access_token = NULL,
                        refresh_token = NULL
                    WHERE id = ?
                    """
            )
            for id in accepted.endedSessions {
                try endSession.execute(arguments: [nowMs, eventID, id])
            }
            if let replay = accepted.replay {
                try db.cachedStatement(
                    sql: """
                        INSERT OR REPLACE INTO replay (issuer_name, jti, token_hash, event_id, expires_at)
                        VALUES (?, ?, ?, ?, ?)
                        """
                ).execute(arguments: [
                    replay.issuerName, replay.key, replay.tokenHash, eventID, replay.expiresAt.column,
                ])
            }
            return eventID
        }
    }

    static func insert(_ event: NewEvent, _ db: Database) throws -> Int64 {
        try db.cachedStatement(
            sql: """
                INSERT INTO events (received_at, source, iss, sub, sid, jti, token_hash, outcome, reason, deliveries,
                    client_address, trace_context)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            event.receivedAt.column, event.source, event.iss, event.sub, event.sid, event.jti, event.tokenHash,
            event.outcome.rawValue, event.reason, event.deliveries, event.clientAddress, event.traceContext?.stored,
        ])
        return db.lastInsertedRowID
    }
}
