import Foundation
import GRDB
import LogoutCore

extension LogoutDatabase {
    /// The tables of this store, parents before the rows that refer to them: the order another
    /// store takes them in.
    public static let tables = [
        "meta", "issuers", "relying_parties", "sessions", "events", "deliveries", "attempts", "replay",
        "signing_keys", "breakers", "end_session_returns", "revocations", "ssf_receivers", "ssf_streams",
        "ssf_removed_subjects", "ssf_events", "upstream_streams", "ssf_breakers",
    ]

    /// Every table, in `tables` order (`logoutd migrate-store`).
    public func exportAll() async throws -> [StoreTable] {
        var tables: [StoreTable] = []
        for name in Self.tables {
            tables.append(try await export(table: name))
        }
        return tables
    }

    /// Every row of `table`, in a read transaction of its own (`logoutd migrate-store`, run
    /// while the daemon is stopped, so the tables read one after the other are consistent).
    public func export(table: String) async throws -> StoreTable {
        guard Self.tables.contains(table) else {
            throw Failure(description: "no table \(table) to export")
        }
        // The other store has no plans: it takes their deliveries as rows, and a plan set aside
        // (one that could not be read) would be left behind.
        try await expandFanOutPlans()
        let setAside = try await pool.read {
            try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM pending_fanouts WHERE problem IS NOT NULL") ?? 0
        }
        guard setAside == 0 else {
            throw Failure(
                description: "\(setAside) logouts' deliveries wait in plans that could not be read "
                    + "(pending_fanouts.problem, docs/operations.md): fix them before exporting"
            )
        }
        return try await pool.read { db in
            let columns = try db.columns(in: table).map(\.name)
            let rows = try Row.fetchAll(db, sql: "SELECT * FROM \(table)").map { row in
                columns.map { column -> StoreValue in
                    let value: DatabaseValue = row[column]
                    switch value.storage {
                    case .null: return .null
                    case .int64(let number): return .integer(number)
                    case .double(let number): return .real(number)
                    case .string(let text): return .text(text)
                    case .blob(let data): return .blob([UInt8](data))
                    }
                }
            }
            return StoreTable(name: table, columns: columns, rows: rows)
        }
    }
}
