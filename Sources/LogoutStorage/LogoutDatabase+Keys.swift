import GRDB
import LogoutCore

extension LogoutDatabase {
    public func scheduledKeys() async throws -> [SigningKeyRecord] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT kid, alg, file, created_at, first_seen_at, signs_from FROM signing_keys ORDER BY signs_from, kid"
            ).map { row in
                SigningKeyRecord(
                    keyID: row["kid"],
                    algorithm: row["alg"],
                    file: row["file"],
                    createdAt: Timestamp(column: row["created_at"]),
                    publishedAt: Timestamp(column: row["first_seen_at"]),
                    signsFrom: Timestamp(column: row["signs_from"])
                )
            }
        }
    }

    public func recordSigningKeys(_ keys: [SigningKeyRecord]) async throws {
        guard !keys.isEmpty else { return }
        try await pool.write { db in
            for key in keys {
                try db.execute(
                    sql: """
                        INSERT INTO signing_keys (kid, alg, file, created_at, first_seen_at, signs_from)
                        VALUES (?, ?, ?, ?, ?, ?)
                        ON CONFLICT(kid) DO UPDATE SET file = excluded.file
                        """,
                    arguments: [
                        key.keyID, key.algorithm, key.file, key.createdAt.column, key.publishedAt.column,
                        key.signsFrom.column,
                    ]
                )
            }
        }
    }

    public func setSignsFrom(keyID: String, to signsFrom: Timestamp) async throws {
        try await pool.write { db in
            try db.execute(
                sql: "UPDATE signing_keys SET signs_from = ? WHERE kid = ?",
                arguments: [signsFrom.column, keyID]
            )
        }
    }
}
