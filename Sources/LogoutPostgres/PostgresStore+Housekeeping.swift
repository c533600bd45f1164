import LogoutCore
import PostgresNIO

/// Retention, the one-time binding of sealed secrets, the key schedule and browser-logout records.
extension PostgresStore {
    public func purge(now: Timestamp, retention: Duration, rejectedRetention: Duration) async throws -> PurgeCounts {
        let (nowMs, cutoff) = (now.millisecondsSince1970, (now - retention).millisecondsSince1970)
        let rejectedCutoff = (now - rejectedRetention).millisecondsSince1970
        return try await write { db in
            var counts = PurgeCounts()
            counts.replayRecords = try await db.count("DELETE FROM replay WHERE expires_at <= \(nowMs) RETURNING 1")
            counts.sessions = try await db.count(
                """
                DELETE FROM sessions
                WHERE (ended_at IS NULL AND expires_at IS NOT NULL AND expires_at <= \(nowMs)) OR ended_at <= \(cutoff)
                RETURNING 1
                """
            )
            counts.events = try await db.count(
                """
                DELETE FROM events WHERE received_at < \(cutoff) AND NOT EXISTS (
                    SELECT 1 FROM deliveries WHERE deliveries.event_id = events.id
                    AND deliveries.status IN ('pending', 'retrying'))
                RETURNING 1
                """
            )
            counts.rejectedEvents = try await db.count(
                """
                DELETE FROM events WHERE outcome IN ('rejected', 'deferred', 'duplicate') AND received_at < \(rejectedCutoff)
                RETURNING 1
                """
            )
            return counts
        }
    }

    /// Backups of a shared store are the database's own (`pg_dump`, base backups and WAL
    /// archiving); a file copy from one replica would miss what the others write meanwhile.
    public func snapshot(into path: String) async throws {
        throw Failure(
            description:
                "logoutd backup copies the embedded SQLite store; back up PostgreSQL with pg_dump or its base backups (docs/scale-out.md)"
        )
    }

    /// As on the embedded store: once, under a row lock on the marker, so two replicas
    /// starting together do not re-seal twice.
    public func bindSealedSecretsIfNeeded(
        _ reseal: @escaping @Sendable (SealedField, [UInt8]) throws -> [UInt8]
    ) async throws -> Int? {
        try await write { db in
            try await db.execute("LOCK TABLE meta IN SHARE ROW EXCLUSIVE MODE")
            if try await db.value("SELECT value FROM meta WHERE key = 'sealed_secrets_bound'", as: String.self) != nil {
                return nil
            }
            var count = 0
            for (table, key, columns) in PostgresSchema.sealedColumns {
                for column in columns {
                    let rows = try await db.rows(
                        PostgresQuery(
                            unsafeSQL:
                                "SELECT \(key)::TEXT AS row_key, \(column) AS sealed FROM \(table) WHERE \(column) IS NOT NULL"
                        )
                    )
                    for row in rows {
                        let rowKey = try row.get("row_key", as: String.self)
                        let sealed = try reseal(
                            SealedField(table: table, column: column, row: rowKey),
                            try row.bytes("sealed") ?? []
                        )
                        var binds = PostgresBindings()
                        binds.append(ByteBuffer(bytes: sealed))
                        binds.append(rowKey)
                        try await db.execute(
                            PostgresQuery(
                                unsafeSQL: "UPDATE \(table) SET \(column) = $1 WHERE \(key)::TEXT = $2",
                                binds: binds
                            )
                        )
                        count += 1
                    }
                }
            }
            try await db.execute("INSERT INTO meta (key, value) VALUES ('sealed_secrets_bound', 'v2')")
            return count
        }
    }

    public func scheduledKeys() async throws -> [SigningKeyRecord] {
        try await read { db in
            try await db.rows(
                "SELECT kid, alg, file, created_at, first_seen_at, signs_from FROM signing_keys ORDER BY signs_from, kid"
            ).map { row in
                SigningKeyRecord(
                    keyID: try row.get("kid"),
                    algorithm: try row.get("alg"),
                    file: try row.get("file"),
                    createdAt: try row.time("created_at"),
                    publishedAt: try row.time("first_seen_at"),
                    signsFrom: try row.time("signs_from")
                )
            }
        }
    }

    public func recordSigningKeys(_ keys: [SigningKeyRecord]) async throws {
        guard !keys.isEmpty else { return }
        try await write { db in
            for key in keys {
                try await db.execute(
                    """
                    INSERT INTO signing_keys (kid, alg, file, created_at, first_seen_at, signs_from)
                    VALUES (\(key.keyID), \(key.algorithm), \(key.file), \(key.createdAt.millisecondsSince1970),
                        \(key.publishedAt.millisecondsSince1970), \(key.signsFrom.millisecondsSince1970))
                    ON CONFLICT (kid) DO UPDATE SET file = excluded.file
                    """
                )
            }
        }
    }

    public func setSignsFrom(keyID: String, to signsFrom: Timestamp) async throws {
        try await write { db in
            try await db.execute(
                "UPDATE signing_keys SET signs_from = \(signsFrom.millisecondsSince1970) WHERE kid = \(keyID)"
            )
        }
    }

    public func saveEndSessionReturn(_ record: EndSessionReturn, now: Timestamp) async throws {
        try await write { db in
            try await db.execute("DELETE FROM end_session_returns WHERE expires_at <= \(now.millisecondsSince1970)")
            try await db.execute(
                """
                INSERT INTO end_session_returns (state_hash, return_to, language, expires_at)
                VALUES (\(record.stateHash), \(record.returnTo), \(record.language.rawValue),
                    \(record.expiresAt.millisecondsSince1970))
                """
            )
        }
    }

    public func findEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn? {
        try await read { db in
            try Self.endSessionReturn(
                try await db.row(
                    "SELECT return_to, language, expires_at FROM end_session_returns WHERE state_hash = \(stateHash)"
                ),
                stateHash: stateHash,
                now: now
            )
        }
    }

    public func takeEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn? {
        try await write { db in
            try Self.endSessionReturn(
                try await db.row(
                    "DELETE FROM end_session_returns WHERE state_hash = \(stateHash) RETURNING return_to, language, expires_at"
                ),
                stateHash: stateHash,
                now: now
            )
        }
    }

    /// The record a query read (or removed) for `stateHash`, unless it has expired.
    private static func endSessionReturn(
        _ row: PostgresRandomAccessRow?,
        stateHash: String,
        now: Timestamp
    ) throws -> EndSessionReturn? {
        guard let row else { return nil }
        let expiresAt = try row.time("expires_at")
        guard now < expiresAt else { return nil }
        return EndSessionReturn(
            stateHash: stateHash,
            returnTo: try row.get("return_to"),
            language: PageLanguage(rawValue: try row.get("language")) ?? .en,
            expiresAt: expiresAt
        )
    }
}
