import LogoutCore
import PostgresNIO
import Synchronization

extension PostgresStore {
    static let eventColumns = """
        received_at, source, iss, sub, sid, jti, token_hash, outcome, reason, deliveries, client_address, trace_context
        """

    /// Binds `event`'s values in `eventColumns`' order; returns their placeholders as one row.
    static func eventRow(_ event: NewEvent, _ binds: inout PostgresBindings) -> String {
        let first = binds.count + 1
        binds.append(event.receivedAt.millisecondsSince1970)
        binds.append(event.source)
        binds.append(event.iss)
        binds.append(event.sub)
        binds.append(event.sid)
        binds.append(event.jti)
        binds.append(event.tokenHash)
        binds.append(event.outcome.rawValue)
        binds.append(event.reason)
        binds.append(Int64(event.deliveries))
        binds.append(event.clientAddress)
        binds.append(event.traceContext?.stored)
        return "(" + (first..<binds.count + 1).map { "$\($0)" }.joined(separator: ", ") + ")"
    }

    static func insertEvent(_ db: PostgresSession, _ event: NewEvent) async throws -> Int64 {
        var binds = PostgresBindings()
        let row = eventRow(event, &binds)
        let id = try await db.value(
            PostgresQuery(unsafeSQL: "INSERT INTO events (\(eventColumns)) VALUES \(row) RETURNING id", binds: binds),
            as: Int64.self
        )
        guard let id else { throw Failure(description: "an inserted event returned no id") }
        return id
    }

    static func insertEvents(_ db: PostgresSession, _ events: ArraySlice<NewEvent>) async throws {
        var binds = PostgresBindings()
        let rows = events.map { eventRow($0, &binds) }
        try await db.execute(
            PostgresQuery(
                unsafeSQL: "INSERT INTO events (\(eventColumns)) VALUES \(rows.joined(separator: ", "))",
                binds: binds
            )
        )
    }

    /// Queues a rejected (or deferred) request for the log without waiting; false when
    /// the queue is full and the entry was dropped.
    @discardableResult
    public func enqueueRejection(_ rejection: RejectedLogout, now: Timestamp) -> Bool {
        rejections.withLock { buffer in
            guard buffer.entries.count < RejectionBuffer.capacity else {
                buffer.dropped += 1
                return false
            }
            buffer.entries.append(NewEvent(rejection, at: now))
            return true
        }
    }

    /// Commits queued rejections in one transaction; on failure they are queued again (up to
    /// the bound), so a short outage of the server loses none.
    public func flushRejections() async throws {
        let batch = rejections.withLock { buffer in
            let taken = buffer.entries
            buffer.entries = []
            return taken
        }
        guard !batch.isEmpty else { return }
        do {
            try await write { db in
                // Many rows per statement: a flush of thousands is a few round trips, not thousands.
                for start in stride(from: 0, to: batch.count, by: 500) {
                    try await Self.insertEvents(db, batch[start..<min(start + 500, batch.count)])
                }
            }
        } catch {
            rejections.withLock { buffer in
                let room = max(0, RejectionBuffer.capacity - buffer.entries.count)
                buffer.dropped += max(0, batch.count - room)
                buffer.entries.insert(contentsOf: batch.prefix(room), at: 0)
            }
            throw error
        }
    }

    public func takeDroppedRejections() -> Int {
        rejections.withLock { buffer in
            defer { buffer.dropped = 0 }
            return buffer.dropped
        }
    }

    /// Sessions with their issuer's `iss`.
    static let selectSessions = """
        SELECT s.id, s.issuer_name, i.issuer, s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at,
            s.expires_at, s.ended_at
        FROM sessions s JOIN issuers i ON i.name = s.issuer_name
        """

    /// `selectSessions`, and which upstream tokens each session holds (`has_refresh`, `has_access`).
    static let selectSessionsHoldingTokens = """
        SELECT s.id, s.issuer_name, i.issuer, s.sub, s.sid, s.client_id, s.rp_sub, s.rp_sid, s.created_at,
            s.expires_at, s.ended_at, s.refresh_token IS NOT NULL AS has_refresh,
            s.access_token IS NOT NULL AS has_access
        FROM sessions s JOIN issuers i ON i.name = s.issuer_name
        """

    static func session(_ row: PostgresRandomAccessRow) throws -> Session {
        Session(
            id: try row.get("id"),
            issuerName: try row.get("issuer_name"),
            issuer: try row.get("issuer"),
            sub: try row.get("sub"),
            sid: try row.get("sid"),
            clientID: try row.get("client_id"),
            rpSub: try row.get("rp_sub"),
            rpSid: try row.get("rp_sid"),
            createdAt: try row.time("created_at"),
            expiresAt: try row.optionalTime("expires_at"),
            endedAt: try row.optionalTime("ended_at")
        )
    }

    static func event(_ row: PostgresRandomAccessRow) throws -> EventRecord {
        EventRecord(
            id: try row.get("id"),
            receivedAt: try row.time("received_at"),
            source: try row.get("source"),
            iss: try row.get("iss"),
            sub: try row.get("sub"),
            sid: try row.get("sid"),
            jti: try row.get("jti"),
            tokenHash: try row.get("token_hash"),
            outcome: EventRecord.Outcome(rawValue: try row.get("outcome")) ?? .rejected,
            reason: try row.get("reason"),
            deliveries: Int(try row.get("deliveries", as: Int64.self)),
            clientAddress: try row.get("client_address"),
            traceID: try row.get("trace_context", as: String?.self).flatMap(TraceContext.init(stored:))?.traceID
        )
    }

    static func delivery(_ row: PostgresRandomAccessRow) throws -> DeliveryRecord {
        let leasedAt = try row.optionalTime("leased_at")
        let leased = try row.get("lease_until", as: Int64?.self) != nil && leasedAt != nil
        return DeliveryRecord(
            id: try row.get("id"),
            eventID: try row.get("event_id"),
            clientID: try row.get("client_id"),
            sub: try row.get("sub"),
            sid: try row.get("sid"),
            status: DeliveryStatus(rawValue: try row.get("status")) ?? .pending,
            attempts: Int(try row.get("attempts", as: Int64.self)),
            createdAt: try row.time("created_at"),
            // In flight, the stored due time is the lease's end: not a time anything is due.
            nextAttemptAt: leased ? nil : try row.optionalTime("next_attempt_at"),
            deliveredAt: try row.optionalTime("delivered_at"),
            lastStatusCode: try row.get("last_status_code", as: Int64?.self).map(Int.init),
            lastError: try row.get("last_error"),
            reason: try row.get("reason"),
            inFlightSince: leased ? leasedAt : nil
        )
    }

    static func attempt(_ row: PostgresRandomAccessRow) throws -> AttemptRecord {
        AttemptRecord(
            deliveryID: try row.get("delivery_id"),
            attempt: Int(try row.get("attempt", as: Int64.self)),
            startedAt: try row.time("started_at"),
            duration: .milliseconds(try row.get("duration_ms", as: Int64.self)),
            statusCode: try row.get("status_code", as: Int64?.self).map(Int.init),
            errorClass: try row.get("error_class", as: String?.self).flatMap(ErrorClass.init(rawValue:)),
            jti: try row.get("jti"),
            rpError: try row.get("rp_error"),
            nextAttemptAt: try row.optionalTime("next_attempt_at"),
            remoteAddress: try row.get("remote_address"),
            traceID: try row.get("trace_id")
        )
    }
}
