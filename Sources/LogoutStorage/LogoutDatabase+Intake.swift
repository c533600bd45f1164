import Foundation
import GRDB
import LogoutCore

/// A logout that passed validation (or an admin request), ready to be recorded with its fan-out.
public struct AcceptedLogout: Sendable {
    public var request: LogoutRequest
    public var iss: String?
    /// The token's `jti`, as sent, for the log.
    public var jti: String?
    /// Replay protection (IN-12); `nil` for admin-triggered logouts.
    public var replay: ReplayKey?
    public var tokenHash: String?
    public var clientAddress: String?

    public init(
        request: LogoutRequest,
        iss: String?,
        jti: String?,
        replay: ReplayKey?,
        tokenHash: String?,
        clientAddress: String?
    ) {
        self.request = request
        self.iss = iss
        self.jti = jti
        self.replay = replay
        self.tokenHash = tokenHash
        self.clientAddress = clientAddress
    }
}

public struct ReplayKey: Sendable, Equatable {
    public var issuerName: String
    /// The `jti`, or `sha256:` + the signing input's hash for app tokens without one (IN-16).
    public var key: String
    /// SHA-256 of the signing input (header and payload as sent): the same token, however its
    /// signature is encoded, is a retransmission, not a conflict.
    public var tokenHash: String
    public var expiresAt: Date

    public init(issuerName: String, key: String, tokenHash: String, expiresAt: Date) {
        self.issuerName = issuerName
        self.key = key
        self.tokenHash = tokenHash
        self.expiresAt = expiresAt
    }
}

public enum RecordedLogout: Sendable, Equatable {
    case accepted(eventID: Int64, deliveries: Int)
    /// The same token was accepted before (event `originalEventID`): nothing new to deliver.
    case duplicate(originalEventID: Int64)
    /// The `jti` was used before by a different token.
    case replayConflict
}

/// A refused token, for the log (ADM-1). Every field is bounded before it is stored (SEC-4):
/// what an anonymous client sends decides how much we write only up to these limits.
public struct RejectedLogout: Sendable {
    public enum Outcome: String, Sendable {
        /// `400`: the token broke a rule.
        case rejected
        /// `503`: the notifier was asked to come back (such as a key rotation in progress).
        case deferred
    }

    public static let maximumIdentifierLength = 256
    public static let maximumReasonLength = 300

    public var outcome: Outcome = .rejected
    /// A registered issuer's name, or `unknown`: never a name taken verbatim from a request.
    public var source: String
    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?
    public var tokenHash: String?
    public var reason: String
    public var clientAddress: String?

    public init(
        source: String,
        iss: String?,
        sub: String?,
        sid: String?,
        jti: String?,
        tokenHash: String?,
        reason: String,
        clientAddress: String?
    ) {
        self.source = source
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.jti = jti
        self.tokenHash = tokenHash
        self.reason = reason
        self.clientAddress = clientAddress
    }
}

extension LogoutDatabase {
    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// committed transaction (IN-17, RES-2). Returns only once the commit is durable.
    public func recordLogout(_ logout: AcceptedLogout, now: Date) async throws -> RecordedLogout {
        try await committer.write { db in
            try Self.recordLogout(logout, now: now, db: db)
        }
    }

    /// Queues a rejected (or deferred) request for the log without waiting: it rides along in a
    /// later commit and never delays an acknowledgement (SEC-4). Returns false when the queue is
    /// full and the entry was dropped.
    @discardableResult
    public func enqueueRejection(_ rejection: RejectedLogout, now: Date) -> Bool {
        let limit = RejectedLogout.maximumIdentifierLength
        let bounded: (String?) -> String? = { $0.map { SafeText.printable($0, limit: limit) } }
        let iss = bounded(rejection.iss)
        let sub = bounded(rejection.sub)
        let sid = bounded(rejection.sid)
        let jti = bounded(rejection.jti)
        let source = SafeText.truncated(rejection.source, limit: 64)
        let reason = SafeText.printable(rejection.reason, limit: RejectedLogout.maximumReasonLength)
        let address = rejection.clientAddress.map { SafeText.truncated($0, limit: 64) }
        let outcome: EventRecord.Outcome = rejection.outcome == .deferred ? .deferred : .rejected
        return committer.enqueueBackground { db in
            _ = try Self.insertEvent(
                db,
                receivedAt: now,
                source: source,
                iss: iss,
                sub: sub,
                sid: sid,
                jti: jti,
                tokenHash: rejection.tokenHash,
                outcome: outcome,
                reason: reason,
                deliveries: 0,
                clientAddress: address
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

    static func recordLogout(_ logout: AcceptedLogout, now: Date, db: Database) throws -> RecordedLogout {
        let nowMs = now.milliseconds
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
            if let stored = try StoredRelyingParty.fetchOne(db, key: clientID) {
                relyingParties[clientID] = stored.relyingParty
            }
        }
        let followers = try StoredRelyingParty.fetchAll(
            db.cachedStatement(sql: "SELECT * FROM relying_parties WHERE subjects = 'all'")
        ).map(\.relyingParty)
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
                INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
        for delivery in plan {
            let skipped = delivery.skipReason != nil
            try insertDelivery.execute(arguments: [
                eventID, delivery.clientID, delivery.sub, delivery.sid,
                skipped ? DeliveryStatus.skipped.rawValue : DeliveryStatus.pending.rawValue,
                nowMs, skipped ? nil : nowMs, delivery.skipReason,
            ])
        }
        if !sessions.isEmpty {
            let endSession = try db.cachedStatement(
                sql: "UPDATE sessions SET ended_at = ?, ended_by_event = ? WHERE id = ?"
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
                replay.issuerName, replay.key, replay.tokenHash, eventID, replay.expiresAt.milliseconds,
            ])
        }
        return .accepted(eventID: eventID, deliveries: plan.count)
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
        receivedAt: Date,
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
            receivedAt.milliseconds, source, iss.map { String($0.prefix(1024)) }, sub, sid,
            jti.map { String($0.prefix(256)) }, tokenHash.map { String($0.prefix(16)) }, outcome.rawValue,
            reason, deliveries, clientAddress,
        ])
        return db.lastInsertedRowID
    }
}
