import LogoutCore
import PostgresNIO

/// The SETs made for SSF streams. Replicas fan out disjoint logouts: each pass locks the rows
/// it reads and skips those another replica holds.
extension PostgresStore {
    public func fanOutSecurityEvents(
        limit: Int,
        now: Timestamp,
        plan: @escaping @Sendable ([FannedOutLogout], [(StoredStream, [String])]) throws -> [NewSecurityEvent]
    ) async throws -> Int {
        try await write { db in
            let rows = try await db.rows(
                """
                SELECT id, source, iss, sub, sid, received_at, outcome, deliveries FROM events
                WHERE NOT ssf_done ORDER BY id LIMIT \(limit) FOR UPDATE SKIP LOCKED
                """
            )
            guard !rows.isEmpty else { return 0 }
            var logouts: [FannedOutLogout] = []
            var ids: [Int64] = []
            for row in rows {
                let id = try row.get("id", as: Int64.self)
                ids.append(id)
                guard try row.get("outcome", as: String.self) == "accepted",
                    try row.get("deliveries", as: Int64.self) > 0
                else { continue }
                logouts.append(
                    FannedOutLogout(
                        eventID: id,
                        source: try row.get("source"),
                        iss: try row.get("iss", as: String?.self),
                        sub: try row.get("sub", as: String?.self),
                        sid: try row.get("sid", as: String?.self),
                        receivedAt: try row.time("received_at")
                    )
                )
            }
            var events: [NewSecurityEvent] = []
            if !logouts.isEmpty {
                var streams: [(StoredStream, [String])] = []
                for row in try await db.rows("SELECT * FROM ssf_streams ORDER BY created_at, id COLLATE \"C\"") {
                    let stream = try Self.stream(from: row)
                    let removed = try await db.rows(
                        "SELECT subject FROM ssf_removed_subjects WHERE stream_id = \(stream.id) ORDER BY seq"
                    ).map { try $0.get("subject", as: String.self) }
                    streams.append((stream, removed))
                }
                if !streams.isEmpty { events = try plan(logouts, streams) }
            }
            for event in events { try await Self.insert(event, now: now, db) }
            // Other replicas' push engines hear of new SETs as they hear of new deliveries.
            if !events.isEmpty { try await Self.notifyQueue(db) }
            try await db.execute("UPDATE events SET ssf_done = true WHERE id = ANY(\(ids))")
            return rows.count
        }
    }

    public func purgeSecurityEvents(before cutoff: Timestamp) async throws -> (deleted: Int, undelivered: Int) {
        try await write { db in
            let rows = try await db.rows(
                """
                DELETE FROM ssf_events WHERE created_at < \(cutoff.millisecondsSince1970)
                RETURNING status IN ('held', 'pending') AS undelivered
                """
            )
            let undelivered = try rows.filter { try $0.get("undelivered", as: Bool.self) }.count
            return (rows.count, undelivered)
        }
    }

    public func insertSecurityEvent(_ event: NewSecurityEvent, now: Timestamp) async throws {
        try await write { db in try await Self.insert(event, now: now, db) }
    }

    private static func insert(_ event: NewSecurityEvent, now: Timestamp, _ db: PostgresSession) async throws {
        let at = now.millisecondsSince1970
        try await db.execute(
            """
            INSERT INTO ssf_events (stream_id, event_id, jti, claims, status, created_at, next_attempt_at)
            VALUES (\(event.streamID), \(event.eventID), \(event.jti), \(event.claims),
                    \(event.held ? "held" : "pending"), \(at), \(at))
            """
        )
    }

    public func pendingSecurityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent] {
        try await read { db in
            try await db.rows(
                """
                SELECT * FROM ssf_events WHERE stream_id = \(streamID) AND status = 'pending' ORDER BY id LIMIT \(limit)
                """
            ).map(Self.securityEvent(from:))
        }
    }

    public func finishSecurityEvents(
        streamID: String,
        delivered: [String],
        failed: [String: String],
        now: Timestamp
    ) async throws -> Int {
        guard !delivered.isEmpty || !failed.isEmpty else { return 0 }
        let at = now.millisecondsSince1970
        return try await write { db in
            var changed = try await db.count(
                """
                UPDATE ssf_events SET status = 'delivered', finished_at = \(at)
                WHERE stream_id = \(streamID) AND jti = ANY(\(delivered)) AND status = 'pending' RETURNING 1
                """
            )
            for (jti, error) in failed.sorted(by: { $0.key < $1.key }) {
                changed += try await db.count(
                    """
                    UPDATE ssf_events SET status = 'failed', finished_at = \(at), error = \(error)
                    WHERE stream_id = \(streamID) AND jti = \(jti) AND status = 'pending' RETURNING 1
                    """
                )
            }
            return changed
        }
    }

    public func securityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent] {
        try await read { db in
            try await db.rows(
                "SELECT * FROM ssf_events WHERE stream_id = \(streamID) ORDER BY id DESC LIMIT \(limit)"
            ).map(Self.securityEvent(from:))
        }
    }

    private static func securityEvent(from row: PostgresRandomAccessRow) throws -> StoredSecurityEvent {
        StoredSecurityEvent(
            id: try row.get("id"),
            streamID: try row.get("stream_id"),
            eventID: try row.get("event_id", as: Int64?.self),
            jti: try row.get("jti"),
            claims: try row.get("claims"),
            status: StoredSecurityEvent.Status(rawValue: try row.get("status")) ?? .failed,
            createdAt: try row.time("created_at"),
            error: try row.get("error", as: String?.self),
            attempts: Int(try row.get("attempts", as: Int64.self)),
            lastStatusCode: try row.get("last_status_code", as: Int64?.self).map { Int($0) },
            finishedAt: try row.get("finished_at", as: Int64?.self).map(Timestamp.init(millisecondsSince1970:))
        )
    }
}
