import GRDB
import LogoutCore

/// Log and registry records read from their rows.
extension Session {
    init(row: Row) {
        self.init(
            id: row["id"],
            issuerName: row["issuer_name"],
            issuer: row["issuer"],
            sub: row["sub"],
            sid: row["sid"],
            clientID: row["client_id"],
            rpSub: row["rp_sub"],
            rpSid: row["rp_sid"],
            createdAt: Timestamp(column: row["created_at"]),
            expiresAt: (row["expires_at"] as Int64?).timestamp,
            endedAt: (row["ended_at"] as Int64?).timestamp
        )
    }

    /// Selects sessions with their issuer's `iss`: `FROM sessions s JOIN issuers i` must follow.
    static let select = """
        SELECT s.id, s.issuer_name, i.issuer, s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at,
            s.expires_at, s.ended_at
        FROM sessions s JOIN issuers i ON i.name = s.issuer_name
        """

    /// `select`, and which upstream tokens each session holds (`has_refresh`, `has_access`).
    static let selectHoldingTokens = """
        SELECT s.id, s.issuer_name, i.issuer, s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at,
            s.expires_at, s.ended_at, s.refresh_token IS NOT NULL AS has_refresh,
            s.access_token IS NOT NULL AS has_access
        FROM sessions s JOIN issuers i ON i.name = s.issuer_name
        """
}

extension EventRecord {
    init(row: Row) {
        self.init(
            id: row["id"],
            receivedAt: Timestamp(column: row["received_at"]),
            source: row["source"],
            iss: row["iss"],
            sub: row["sub"],
            sid: row["sid"],
            jti: row["jti"],
            tokenHash: row["token_hash"],
            outcome: Outcome(rawValue: row["outcome"]) ?? .rejected,
            reason: row["reason"],
            deliveries: row["deliveries"],
            clientAddress: row["client_address"],
            traceID: (row["trace_context"] as String?).flatMap(TraceContext.init(stored:))?.traceID
        )
    }
}

extension DeliveryRecord {
    /// - Parameter lease: the row's lease in this process, if any; a lease in the row is one
    ///   an older release left.
    init(row: Row, lease: DeliveryLeases.Lease?) {
        let status = DeliveryStatus(rawValue: row["status"]) ?? .pending
        let waiting = status == .pending || status == .retrying
        let leasedAt = waiting ? lease?.leasedAt : nil
        let stored = (row["lease_until"] as Int64?) != nil ? (row["leased_at"] as Int64?).timestamp : nil
        let inFlightSince = leasedAt ?? stored
        self.init(
            id: row["id"],
            eventID: row["event_id"],
            clientID: row["client_id"],
            sub: row["sub"],
            sid: row["sid"],
            status: status,
            attempts: row["attempts"],
            createdAt: Timestamp(column: row["created_at"]),
            // In flight, the stored due time is the lease's end: not a time anything is due.
            nextAttemptAt: inFlightSince != nil ? nil : (row["next_attempt_at"] as Int64?).timestamp,
            deliveredAt: (row["delivered_at"] as Int64?).timestamp,
            lastStatusCode: row["last_status_code"],
            lastError: row["last_error"],
            reason: row["reason"],
            inFlightSince: inFlightSince
        )
    }
}

extension AttemptRecord {
    init(row: Row) {
        self.init(
            deliveryID: row["delivery_id"],
            attempt: row["attempt"],
            startedAt: Timestamp(column: row["started_at"]),
            duration: .milliseconds(row["duration_ms"] as Int64),
            statusCode: row["status_code"],
            errorClass: (row["error_class"] as String?).flatMap(ErrorClass.init(rawValue:)),
            jti: row["jti"],
            rpError: row["rp_error"],
            nextAttemptAt: (row["next_attempt_at"] as Int64?).timestamp,
            remoteAddress: row["remote_address"],
            traceID: row["trace_id"]
        )
    }
}
