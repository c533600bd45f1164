import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// Every column that holds sealed values, with the column that names its row (the
    /// `SealedField` row): re-sealed here. A migration that adds a sealed column adds it
    /// here, as PostgreSQL's schema does to its own list.
    static let sealedColumns: [(table: String, key: String, columns: [String])] = [
        ("issuers", "name", ["shared_secret", "client_secret"]),
        ("relying_parties", "client_id", ["client_secret"]),
        ("sessions", "id", ["id_token", "access_token", "refresh_token"]),
        ("ssf_streams", "id", ["authorization_header"]),
        ("upstream_streams", "issuer_name", ["token"]),
    ]

    /// Re-seals, once, every secret stored before sealed values were bound to their row and
    /// column. `reseal` opens the old value and seals it bound to its field; all rows
    /// change in one transaction, and a marker in `meta` makes later starts skip this.
    /// - Returns: how many values were re-sealed, or `nil` when this had been done before.
    public func bindSealedSecretsIfNeeded(
        _ reseal: @escaping @Sendable (SealedField, [UInt8]) throws -> [UInt8]
    ) async throws -> Int? {
        try await pool.write { db in
            if try String.fetchOne(db, sql: "SELECT value FROM meta WHERE key = 'sealed_secrets_bound'") != nil {
                return nil
            }
            var count = 0
            for (table, key, columns) in Self.sealedColumns {
                for column in columns {
                    let rows = try Row.fetchAll(
                        db,
                        sql: "SELECT \(key) AS row_key, \(column) AS sealed FROM \(table) WHERE \(column) IS NOT NULL"
                    )
                    for row in rows {
                        let rowKey: DatabaseValue = row["row_key"]
                        let field = SealedField(table: table, column: column, row: rowKey.description(unquoted: true))
                        let sealed = try reseal(field, [UInt8](row["sealed"] as Data))
                        try db.execute(
                            sql: "UPDATE \(table) SET \(column) = ? WHERE \(key) = ?",
                            arguments: [Data(sealed), rowKey]
                        )
                        count += 1
                    }
                }
            }
            try db.execute(sql: "INSERT INTO meta (key, value) VALUES ('sealed_secrets_bound', 'v2')")
            return count
        }
    }
}

extension DatabaseValue {
    /// The value as text without SQL quoting: a row key for a sealed field.
    func description(unquoted: Bool) -> String {
        switch storage {
        case .string(let text): return text
        case .int64(let number): return String(number)
        default: return description
        }
    }
}
