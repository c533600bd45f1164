import LogoutCore
import PostgresNIO

extension PostgresStore {
    // MARK: Receivers

    public func insertReceiver(_ receiver: StoredReceiver) async throws {
        try await write { db in
            if try await db.value("SELECT 1 FROM ssf_receivers WHERE name = \(receiver.name)", as: Int32.self) != nil {
                throw RegistryError.conflict("an SSF receiver named \(receiver.name) already exists")
            }
            do {
                try await db.execute(
                    """
                    INSERT INTO ssf_receivers (name, token_hash, oauth_issuer, oauth_client_id, created_at)
                    VALUES (\(receiver.name), \(receiver.tokenHash), \(receiver.oauthIssuer),
                        \(receiver.oauthClientID), \(receiver.createdAt.millisecondsSince1970))
                    """
                )
            } catch  where Self.isUniqueViolation(error) {
                throw RegistryError.conflict(
                    "another SSF receiver already answers to the OAuth client_id \(receiver.effectiveClientID)"
                )
            }
        }
    }

    public func receivers() async throws -> [StoredReceiver] {
        try await read { db in
            try await db.rows("\(unescaped: Self.selectReceivers) ORDER BY r.name COLLATE \"C\"").map(
                Self.receiver(from:)
            )
        }
    }

    public func receiver(tokenHash: String) async throws -> StoredReceiver? {
        try await read { db in
            try await db.row("\(unescaped: Self.selectReceivers) WHERE r.token_hash = \(tokenHash)")
                .map(Self.receiver(from:))
        }
    }

    public func receiver(oauthClientID clientID: String) async throws -> StoredReceiver? {
        try await read { db in
            try await db.row(
                """
                \(unescaped: Self.selectReceivers)
                WHERE COALESCE(r.oauth_client_id, r.name) = \(clientID) AND r.oauth_issuer IS NOT NULL
                """
            ).map(Self.receiver(from:))
        }
    }

    public func deleteReceiver(named name: String) async throws {
        try await write { db in
            guard try await db.count("DELETE FROM ssf_receivers WHERE name = \(name) RETURNING 1") > 0 else {
                throw RegistryError.notFound("no SSF receiver named \(name)")
            }
        }
    }

    private static let selectReceivers = """
        SELECT r.name, r.token_hash, r.oauth_issuer, r.oauth_client_id, r.created_at,
               (SELECT count(*) FROM ssf_streams s WHERE s.receiver = r.name) AS streams
        FROM ssf_receivers r
        """

    private static func receiver(from row: PostgresRandomAccessRow) throws -> StoredReceiver {
        StoredReceiver(
            name: try row.get("name"),
            tokenHash: try row.get("token_hash"),
            createdAt: try row.time("created_at"),
            streams: Int(try row.get("streams", as: Int64.self)),
            oauthIssuer: try row.get("oauth_issuer", as: String?.self),
            oauthClientID: try row.get("oauth_client_id", as: String?.self)
        )
    }

    // MARK: Streams

    public func insertStream(_ stream: StoredStream) async throws {
        try await write { db in
            guard
                try await db.value("SELECT 1 FROM ssf_receivers WHERE name = \(stream.receiver)", as: Int32.self) != nil
            else { throw RegistryError.notFound("no SSF receiver named \(stream.receiver)") }
            do {
                try await db.execute(
                    """
                    INSERT INTO ssf_streams (id, receiver, configuration, authorization_header, status, status_reason,
                                             created_at, updated_at)
                    VALUES (\(stream.id), \(stream.receiver), \(stream.configuration),
                            \(stream.authorization.map { ByteBuffer(bytes: $0) }), \(stream.status.rawValue),
                            \(stream.statusReason), \(stream.createdAt.millisecondsSince1970),
                            \(stream.updatedAt.millisecondsSince1970))
                    """
                )
            } catch  where Self.isUniqueViolation(error) {
                throw RegistryError.conflict("a stream with id \(stream.id) already exists")
            }
        }
    }

    public func streams(receiver: String?) async throws -> [StoredStream] {
        try await read { db in
            try await db.rows(
                """
                SELECT s.*, \(unescaped: PostgresRows.breakerColumns)
                FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id
                WHERE \(receiver)::TEXT IS NULL OR s.receiver = \(receiver)
                ORDER BY s.created_at, s.id COLLATE "C"
                """
            ).map(Self.streamWithBreaker(from:))
        }
    }

    public func stream(id: String) async throws -> StoredStream? {
        try await read { db in
            try await db.row(
                """
                SELECT s.*, \(unescaped: PostgresRows.breakerColumns)
                FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id WHERE s.id = \(id)
                """
            ).map(Self.streamWithBreaker(from:))
        }
    }

    public func replaceStream(_ stream: StoredStream) async throws {
        try await write { db in
            let changed = try await db.count(
                """
                UPDATE ssf_streams SET configuration = \(stream.configuration),
                    authorization_header = \(stream.authorization.map { ByteBuffer(bytes: $0) }),
                    updated_at = \(stream.updatedAt.millisecondsSince1970)
                WHERE id = \(stream.id) RETURNING 1
                """
            )
            guard changed > 0 else { throw RegistryError.notFound("no stream with id \(stream.id)") }
            // A receiver that fixed its stream is tried at once, not after the breaker's pause.
            try await db.execute("DELETE FROM ssf_breakers WHERE stream_id = \(stream.id)")
        }
    }

    public func setStreamStatus(id: String, _ status: StoredStream.Status, reason: String?, now: Timestamp) async throws
    {
        try await write { db in
            let changed = try await db.count(
                """
                UPDATE ssf_streams SET status = \(status.rawValue), status_reason = \(reason),
                    updated_at = \(now.millisecondsSince1970)
                WHERE id = \(id) RETURNING 1
                """
            )
            guard changed > 0 else { throw RegistryError.notFound("no stream with id \(id)") }
            switch status {
            case .enabled:
                try await db.execute(
                    "UPDATE ssf_events SET status = 'pending' WHERE stream_id = \(id) AND status = 'held'"
                )
                try await db.execute(
                    "DELETE FROM ssf_breakers WHERE stream_id = \(id)"
                )
            case .paused:
                try await db.execute(
                    "UPDATE ssf_events SET status = 'held' WHERE stream_id = \(id) AND status = 'pending'"
                )
            case .disabled:
                try await db.execute(
                    """
                    UPDATE ssf_events SET status = 'failed', finished_at = \(now.millisecondsSince1970),
                        error = 'the stream was disabled'
                    WHERE stream_id = \(id) AND status IN ('held', 'pending')
                    """
                )
            }
        }
    }

    public func deleteStream(id: String) async throws {
        try await write { db in
            guard try await db.count("DELETE FROM ssf_streams WHERE id = \(id) RETURNING 1") > 0 else {
                throw RegistryError.notFound("no stream with id \(id)")
            }
        }
    }

    private static func streamWithBreaker(from row: PostgresRandomAccessRow) throws -> StoredStream {
        var stream = try stream(from: row)
        stream.breaker = try PostgresRows.breaker(row)
        return stream
    }

    static func stream(from row: PostgresRandomAccessRow) throws -> StoredStream {
        StoredStream(
            id: try row.get("id"),
            receiver: try row.get("receiver"),
            configuration: try row.get("configuration"),
            authorization: try row.bytes("authorization_header"),
            status: StoredStream.Status(rawValue: try row.get("status")) ?? .disabled,
            statusReason: try row.get("status_reason", as: String?.self),
            createdAt: try row.time("created_at"),
            updatedAt: try row.time("updated_at")
        )
    }

    // MARK: Subjects

    public func removeStreamSubject(streamID: String, subject: String, now: Timestamp) async throws -> Bool {
        try await write { db in
            guard try await db.value("SELECT 1 FROM ssf_streams WHERE id = \(streamID)", as: Int32.self) != nil else {
                throw RegistryError.notFound("no stream with id \(streamID)")
            }
            return try await db.count(
                """
                INSERT INTO ssf_removed_subjects (stream_id, subject, added_at)
                VALUES (\(streamID), \(subject), \(now.millisecondsSince1970))
                ON CONFLICT DO NOTHING RETURNING 1
                """
            ) > 0
        }
    }

    public func restoreStreamSubject(streamID: String, subject: String) async throws -> Bool {
        try await write { db in
            try await db.count(
                "DELETE FROM ssf_removed_subjects WHERE stream_id = \(streamID) AND subject = \(subject) RETURNING 1"
            ) > 0
        }
    }

    public func removedStreamSubjects(streamID: String) async throws -> [String] {
        try await read { db in
            try await db.rows("SELECT subject FROM ssf_removed_subjects WHERE stream_id = \(streamID) ORDER BY seq")
                .map { try $0.get("subject", as: String.self) }
        }
    }
}
