import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// committed transaction (IN-17, RES-2). Returns only once the commit is durable.
    public func recordLogout(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout {
        try await committer.write { db in
            try Self.recordLogout(logout, now: now, db: db)
        }
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
    /// later commit and never delays an acknowledgement (SEC-4). Returns false when the queue is
    /// full and the entry was dropped.
    @discardableResult
    public func enqueueRejection(_ rejection: RejectedLogout, now: Timestamp) -> Bool {
        let entry = rejection.bounded
        let outcome: EventRecord.Outcome = entry.outcome == .deferred ? .deferred : .rejected
        return committer.enqueueBackground { db in
            _ = try Self.insertEvent(
                db,
                receivedAt: now,
                source: entry.source,
                iss: entry.iss,
                sub: entry.sub,
                sid: entry.sid,
                jti: entry.jti,
                tokenHash: entry.tokenHash,
                outcome: outcome,
                reason: entry.reason,
                deliveries: 0,
                clientAddress: entry.clientAddress
            )
        }
    }

    /// Commits queued rejections now; the daemon calls it a few times a second.
    public func flushRejections() async throws {
        try await committer.flushBackground()
    }

    /// Rejections dropped because their queue was full, since the last call (for metrics).
    public func takeDroppedRejections() -> Int {
        committer.takeDroppedBackgroundCount()
    }

    static func recordLogout(_ logout: AcceptedLogout, now: Timestamp, db: Database) throws -> RecordedLogout {
        let nowMs = now.column
        let request = logout.request
        if let replay = logout.replay {
            let previous = try Row.fetchOne(
                db.cachedStatement(
                    sql: "SELECT token_hash, event_id, expires_at FROM replay WHERE issuer_name = ? AND jti = ?"
                ),
                arguments: [replay.issuerName, replay.key]
            )
            if let previous, (previous["expires_at"] as Int64) > nowMs {
                let sameToken = (previous["token_hash"] as String) == replay.tokenHash
                guard replay.logsRepeats || !sameToken else { return .duplicate(originalEventID: previous["event_id"]) }
                _ = try insertEvent(
                    db,
                    receivedAt: now,
                    source: request.source,
                    iss: logout.iss,
                    sub: request.sub,
                    sid: request.sid,
                    jti: logout.jti,
                    tokenHash: logout.tokenHash,
                    outcome: sameToken ? .duplicate : .rejected,
                    reason: sameToken ? nil : "IN-12: jti was already used by a different token",
                    deliveries: 0,
                    clientAddress: logout.clientAddress
                )
                return sameToken ? .duplicate(originalEventID: previous["event_id"]) : .replayConflict
            }
        }

        let sessions = try matchingSessions(request, nowMs: nowMs, db: db)
        let clientIDs = Set(sessions.map(\.clientID))
        var relyingParties: [String: RelyingParty] = [:]
        for clientID in clientIDs {
            if let stored = try RelyingPartyRow.fetchOne(db, key: clientID) {
                relyingParties[clientID] = stored.value.relyingParty
            }
        }
        let followers = try RelyingPartyRow.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM relying_parties WHERE subjects = 'all'")
        ).map(\.value.relyingParty)
        let plan = FanOutPlanner.plan(
            request: request,
            sessions: sessions,
            relyingParties: relyingParties,
            followers: followers
        )

        let eventID = try insertEvent(
            db,
            receivedAt: now,
            source: request.source,
            iss: logout.iss,
            sub: request.sub,
            sid: request.sid,
            jti: logout.jti,
            tokenHash: logout.tokenHash,
            outcome: .accepted,
            reason: nil,
            deliveries: plan.count,
            clientAddress: logout.clientAddress
        )
        let insertDelivery = try db.cachedStatement(
            sql: """
                INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason, finished_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for delivery in plan {
            let skipped = delivery.skipReason != nil
            try insertDelivery.execute(arguments: [
                eventID, delivery.clientID, delivery.sub, delivery.sid,
                skipped ? DeliveryStatus.skipped.rawValue : DeliveryStatus.pending.rawValue,
                nowMs, skipped ? nil : nowMs, delivery.skipReason, skipped ? nowMs : nil,
            ])
        }
        if !sessions.isEmpty {
            try queueRevocations(of: sessions, eventID: eventID, nowMs: nowMs, db: db)
            // An ended session keeps no upstream token: those to revoke moved to their revocation.
            let endSession = try db.cachedStatement(
                sql: """
                    UPDATE sessions SET ended_at = ?, ended_by_event = ?, id_token = NULL, access_token = NULL,
                        refresh_token = NULL
                    WHERE id = ?
                    """
            )
            for session in sessions {
                try endSession.execute(arguments: [nowMs, eventID, session.id])
            }
        }
        if let replay = logout.replay {
            try db.cachedStatement(
                sql: """
                    INSERT OR REPLACE INTO replay (issuer_name, jti, token_hash, event_id, expires_at)
                    VALUES (?, ?, ?, ?, ?)
                    """
            ).execute(arguments: [
                replay.issuerName, replay.key, replay.tokenHash, eventID, replay.expiresAt.column,
            ])
        }
        return .accepted(
            eventID: eventID,
            deliveries: plan.count,
            skipped: plan.filter { $0.skipReason != nil }.map(\.clientID)
        )
    }

    /// RES-2: with a `sid`, the sessions of that upstream session; with only `sub`, every
    /// session of the subject at this issuer. Expired and ended sessions are not selected.
    static func matchingSessions(_ request: LogoutRequest, nowMs: Int64, db: Database) throws -> [Session] {
        let live = "s.ended_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)"
        let rows: [Row]
        if let sid = request.sid {
            if let sub = request.sub {
                rows = try Row.fetchAll(
                    db.cachedStatement(
                        sql: "\(Session.select) WHERE s.issuer_name = ? AND s.sid = ? AND s.sub = ? AND \(live)"
                    ),
                    arguments: [request.issuerName, sid, sub, nowMs]
                )
            } else {
                rows = try Row.fetchAll(
                    db.cachedStatement(sql: "\(Session.select) WHERE s.issuer_name = ? AND s.sid = ? AND \(live)"),
                    arguments: [request.issuerName, sid, nowMs]
                )
            }
        } else if let sub = request.sub {
            rows = try Row.fetchAll(
                db.cachedStatement(sql: "\(Session.select) WHERE s.issuer_name = ? AND s.sub = ? AND \(live)"),
                arguments: [request.issuerName, sub, nowMs]
            )
        } else {
            rows = []
        }
        return rows.map(Session.init(row:))
    }

    static func insertEvent(
        _ db: Database,
        receivedAt: Timestamp,
        source: String,
        iss: String?,
        sub: String?,
        sid: String?,
        jti: String?,
        tokenHash: String?,
        outcome: EventRecord.Outcome,
        reason: String?,
        deliveries: Int,
        clientAddress: String?
    ) throws -> Int64 {
        try db.cachedStatement(
            sql: """
                INSERT INTO events (received_at, source, iss, sub, sid, jti, token_hash, outcome, reason, deliveries,
                    client_address)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        ).execute(arguments: [
            receivedAt.column, source, iss.map { String($0.prefix(1024)) }, sub, sid,
            jti.map { String($0.prefix(256)) }, tokenHash.map { String($0.prefix(16)) }, outcome.rawValue,
            reason, deliveries, clientAddress,
        ])
        return db.lastInsertedRowID
    }
}
