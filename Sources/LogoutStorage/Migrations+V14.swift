import GRDB

extension Migrations {
    /// A CHECK on a list of three values or more (`status IN ('pending', 'retrying', …)`) made
    /// SQLite build a temporary table of the list for every statement that writes the row: for
    /// each delivery queued and each outcome stored, about 8 % of a fan-out's instructions
    /// (callgrind, issue 24). The same checks written as comparisons cost a few instructions.
    /// Only the tables' text changes, as SQLite documents for changing a CHECK: every row already
    /// passes the equivalent check, and nothing on disk depends on it.
    ///
    /// And `deliveries_next`, which no query reads (the due-time and clock queries go through
    /// `deliveries_due` and `deliveries_by_status`), is dropped: every delivery queued, claimed
    /// and finished kept it up to date for nothing.
    static func v14(_ db: Database) throws {
        try db.execute(sql: "DROP INDEX IF EXISTS deliveries_next")
        var rewritten: [(name: String, sql: String)] = []
        for row in try Row.fetchAll(db, sql: "SELECT name, sql FROM sqlite_master WHERE type = 'table'") {
            let sql: String? = row["sql"]
            guard let sql else { continue }
            let checks = comparisonChecks(sql)
            if checks != sql { rewritten.append((row["name"], checks)) }
        }
        guard !rewritten.isEmpty else { return }
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        for table in rewritten {
            try db.execute(
                sql: "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                arguments: [table.sql, table.name]
            )
        }
        // Other connections read the schema again when its version moves.
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
        try db.execute(sql: "PRAGMA writable_schema = OFF")
    }

    /// `column IN ('a', 'b', 'c')` as `(column = 'a' OR column = 'b' OR column = 'c')`, the same
    /// check (a NULL passes both). A list of two stays: SQLite compares those directly. Written
    /// for the frozen text of v1 to v13 (plain column names, values without commas or quotes);
    /// anything else is left as it is.
    static func comparisonChecks(_ sql: String) -> String {
        // The character before the name is matched (Swift's regexes have no lookbehind), so
        // that `t.x` and `"x"` are left alone, and put back.
        sql.replacing(#/([^\w."])(\w+) IN \(((?:'[^',]*', ){2,}'[^',]*')\)/#) { match in
            let (before, column) = (match.output.1, match.output.2)
            guard column.uppercased() != "NOT" else { return String(match.output.0) }
            let values = match.output.3.split(separator: ", ")
            return before + "(" + values.map { "\(column) = \($0)" }.joined(separator: " OR ") + ")"
        }
    }
}
