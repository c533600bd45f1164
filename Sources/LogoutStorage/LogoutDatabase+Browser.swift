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

    public func takeEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn? {
        try await committer.write { db -> EndSessionReturn? in
            guard
                let row = try Row.fetchOne(
                    db,
                    sql:
                        "DELETE FROM end_session_returns WHERE state_hash = ? RETURNING return_to, language, expires_at",
                    arguments: [stateHash]
                )
            else { return nil }
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
}
