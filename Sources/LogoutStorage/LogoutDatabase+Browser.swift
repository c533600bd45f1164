import GRDB
import LogoutCore

extension LogoutDatabase {
    public func saveEndSessionReturn(_ record: EndSessionReturn, now: Timestamp) async throws {
        try await committer.write { db in
            try db.execute(sql: "DELETE FROM end_session_returns WHERE expires_at <= ?", arguments: [now.column])
            try db.execute(
                sql: """
                    INSERT INTO end_session_returns (state_hash, return_to, language, expires_at)
                    VALUES (?, ?, ?, ?)
                    """,
                arguments: [record.stateHash, record.returnTo, record.language.rawValue, record.expiresAt.column]
            )
        }
    }

    public func findEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn? {
        try await pool.read { db in
            try Self.endSessionReturn(
                db,
                "SELECT return_to, language, expires_at FROM end_session_returns WHERE state_hash = ?",
                stateHash: stateHash,
                now: now
            )
        }
    }

    public func takeEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn? {
        try await committer.write { db in
            try Self.endSessionReturn(
                db,
                "DELETE FROM end_session_returns WHERE state_hash = ? RETURNING return_to, language, expires_at",
                stateHash: stateHash,
                now: now
            )
        }
    }

    /// The record `sql` reads (or removes) for `stateHash`, unless it has expired.
    private static func endSessionReturn(
        _ db: Database,
        _ sql: String,
        stateHash: String,
        now: Timestamp
    ) throws -> EndSessionReturn? {
        guard let row = try Row.fetchOne(db, sql: sql, arguments: [stateHash]) else { return nil }
        let expiresAt = Timestamp(column: row["expires_at"])
        guard now < expiresAt else { return nil }
        return EndSessionReturn(
            stateHash: stateHash,
            returnTo: row["return_to"],
            language: PageLanguage(rawValue: row["language"]) ?? .en,
            expiresAt: expiresAt
        )
    }
}
