import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    // MARK: Receivers

    public func insertReceiver(_ receiver: StoredReceiver) async throws {
        try await pool.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM ssf_receivers WHERE name = ?", arguments: [receiver.name])
                == true
            {
                throw RegistryError.conflict("an SSF receiver named \(receiver.name) already exists")
            }
            if try Bool.fetchOne(
                db,
                sql: "SELECT 1 FROM ssf_receivers WHERE COALESCE(oauth_client_id, name) = ?",
                arguments: [receiver.effectiveClientID]
            ) == true {
                throw RegistryError.conflict(
                    "another SSF receiver already answers to the OAuth client_id \(receiver.effectiveClientID)"
                )
            }
            try db.execute(
                sql: """
                    INSERT INTO ssf_receivers (name, token_hash, oauth_issuer, oauth_client_id, created_at)
                    VALUES (?, ?, ?, ?, ?)
                    """,
                arguments: [
                    receiver.name, receiver.tokenHash, receiver.oauthIssuer, receiver.oauthClientID,
                    receiver.createdAt.column,
                ]
            )
        }
    }

    public func receivers() async throws -> [StoredReceiver] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT r.name, r.token_hash, r.oauth_issuer, r.oauth_client_id, r.created_at,
                           (SELECT count(*) FROM ssf_streams s WHERE s.receiver = r.name) AS streams
                    FROM ssf_receivers r ORDER BY r.name
                    """
            ).map(Self.receiver(from:))
        }
    }

    public func receiver(tokenHash: String) async throws -> StoredReceiver? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT r.name, r.token_hash, r.oauth_issuer, r.oauth_client_id, r.created_at,
                           (SELECT count(*) FROM ssf_streams s WHERE s.receiver = r.name) AS streams
                    FROM ssf_receivers r WHERE r.token_hash = ?
                    """,
                arguments: [tokenHash]
            ).map(Self.receiver(from:))
        }
    }

    public func receiver(oauthClientID clientID: String) async throws -> StoredReceiver? {
        try await pool.read { db in
            try Row.fetchOne(
                db,
                sql: """
                    SELECT r.name, r.token_hash, r.oauth_issuer, r.oauth_client_id, r.created_at,
                           (SELECT count(*) FROM ssf_streams s WHERE s.receiver = r.name) AS streams
                    FROM ssf_receivers r
                    WHERE COALESCE(r.oauth_client_id, r.name) = ? AND r.oauth_issuer IS NOT NULL
                    """,
                arguments: [clientID]
            ).map(Self.receiver(from:))
        }
    }

    public func deleteReceiver(named name: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM ssf_receivers WHERE name = ?", arguments: [name])
            guard db.changesCount == 1 else { throw RegistryError.notFound("no SSF receiver named \(name)") }
        }
    }

    private static func receiver(from row: Row) -> StoredReceiver {
        StoredReceiver(
            name: row["name"],
            tokenHash: row["token_hash"],
            createdAt: Timestamp(column: row["created_at"]),
            streams: row["streams"],
            oauthIssuer: row["oauth_issuer"],
            oauthClientID: row["oauth_client_id"]
        )
    }

    // MARK: Streams

    public func insertStream(_ stream: StoredStream) async throws {
        try await pool.write { db in
            guard
                try Bool.fetchOne(db, sql: "SELECT 1 FROM ssf_receivers WHERE name = ?", arguments: [stream.receiver])
                    == true
            else { throw RegistryError.notFound("no SSF receiver named \(stream.receiver)") }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM ssf_streams WHERE id = ?", arguments: [stream.id]) == true {
                throw RegistryError.conflict("a stream with id \(stream.id) already exists")
            }
            try db.execute(
                sql: """
                    INSERT INTO ssf_streams (id, receiver, configuration, authorization_header, status, status_reason,
                                             created_at, updated_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    stream.id, stream.receiver, stream.configuration, stream.authorization.map { Data($0) },
                    stream.status.rawValue, stream.statusReason, stream.createdAt.column, stream.updatedAt.column,
                ]
            )
        }
    }

    public func streams(receiver: String?) async throws -> [StoredStream] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql: Self.selectStreams + " WHERE ?1 IS NULL OR s.receiver = ?1 ORDER BY s.created_at, s.id",
                arguments: [receiver]
            ).map(Self.streamWithBreaker(from:))
        }
    }

    public func stream(id: String) async throws -> StoredStream? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: Self.selectStreams + " WHERE s.id = ?", arguments: [id])
                .map(Self.streamWithBreaker(from:))
        }
    }

    public func replaceStream(_ stream: StoredStream) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE ssf_streams SET configuration = ?, authorization_header = ?, updated_at = ? WHERE id = ?
                    """,
                arguments: [
                    stream.configuration, stream.authorization.map { Data($0) }, stream.updatedAt.column, stream.id,
                ]
            )
            guard db.changesCount == 1 else { throw RegistryError.notFound("no stream with id \(stream.id)") }
            // A receiver that fixed its stream is tried at once, not after the breaker's pause.
            try db.execute(sql: "DELETE FROM ssf_breakers WHERE stream_id = ?", arguments: [stream.id])
        }
    }

    public func setStreamStatus(id: String, _ status: StoredStream.Status, reason: String?, now: Timestamp) async throws
    {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE ssf_streams SET status = ?, status_reason = ?, updated_at = ? WHERE id = ?",
                arguments: [status.rawValue, reason, now.column, id]
            )
            guard db.changesCount == 1 else { throw RegistryError.notFound("no stream with id \(id)") }
            switch status {
            case .enabled:
                try db.execute(
                    sql: "UPDATE ssf_events SET status = 'pending' WHERE stream_id = ? AND status = 'held'",
                    arguments: [id]
                )
                try db.execute(sql: "DELETE FROM ssf_breakers WHERE stream_id = ?", arguments: [id])
            case .paused:
                try db.execute(
                    sql: "UPDATE ssf_events SET status = 'held' WHERE stream_id = ? AND status = 'pending'",
                    arguments: [id]
                )
            case .disabled:
                try db.execute(
                    sql: """
                        UPDATE ssf_events SET status = 'failed', finished_at = ?, error = 'the stream was disabled'
                        WHERE stream_id = ? AND status IN ('held', 'pending')
                        """,
                    arguments: [now.column, id]
                )
            }
        }
    }

    public func deleteStream(id: String) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM ssf_streams WHERE id = ?", arguments: [id])
            guard db.changesCount == 1 else { throw RegistryError.notFound("no stream with id \(id)") }
        }
    }

    /// Streams with their breakers (`breaker_*`).
    private static let selectStreams = """
        SELECT s.*, b.state AS breaker_state, b.consecutive_failures AS breaker_failures, b.since AS breaker_since,
            b.last_error AS breaker_last_error, b.next_probe_at AS breaker_next_probe_at,
            b.failed_probes AS breaker_failed_probes
        FROM ssf_streams s LEFT JOIN ssf_breakers b ON b.stream_id = s.id
        """

    private static func streamWithBreaker(from row: Row) -> StoredStream {
        var stream = stream(from: row)
        stream.breaker = CircuitBreaker(joined: row)
        return stream
    }

    static func stream(from row: Row) -> StoredStream {
        let authorization: Data? = row["authorization_header"]
        return StoredStream(
            id: row["id"],
            receiver: row["receiver"],
            configuration: row["configuration"],
            authorization: authorization.map { [UInt8]($0) },
            status: StoredStream.Status(rawValue: row["status"]) ?? .disabled,
            statusReason: row["status_reason"],
            createdAt: Timestamp(column: row["created_at"]),
            updatedAt: Timestamp(column: row["updated_at"])
        )
    }

    // MARK: Subjects

    public func removeStreamSubject(streamID: String, subject: String, now: Timestamp) async throws -> Bool {
        try await pool.write { db in
            guard try Bool.fetchOne(db, sql: "SELECT 1 FROM ssf_streams WHERE id = ?", arguments: [streamID]) == true
            else { throw RegistryError.notFound("no stream with id \(streamID)") }
            try db.execute(
                sql:
                    "INSERT INTO ssf_removed_subjects (stream_id, subject, added_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                arguments: [streamID, subject, now.column]
            )
            return db.changesCount == 1
        }
    }

    public func restoreStreamSubject(streamID: String, subject: String) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM ssf_removed_subjects WHERE stream_id = ? AND subject = ?",
                arguments: [streamID, subject]
            )
            return db.changesCount == 1
        }
    }

    public func removedStreamSubjects(streamID: String) async throws -> [String] {
        try await pool.read { db in
            try String.fetchAll(
                db,
                sql: "SELECT subject FROM ssf_removed_subjects WHERE stream_id = ? ORDER BY rowid",
                arguments: [streamID]
            )
        }
    }
}
