import GRDB

/// Ids bound to a `NOT IN (…)`, their number rounded up to a power of two (the rest an id no row
/// has): the statement's text depends on the number, and a handful of prepared statements then
/// serve every length instead of one per length in the connection's cache.
struct IDList {
    /// The bound values, padded.
    let arguments: StatementArguments
    /// Their number, padded: 0 for no id at all.
    let count: Int

    init(_ ids: some Collection<Int64>) {
        guard !ids.isEmpty else {
            (arguments, count) = ([], 0)
            return
        }
        var padded = 1
        while padded < ids.count { padded *= 2 }
        // Row ids start at 1: -1 is none.
        (arguments, count) = (StatementArguments(Array(ids) + repeatElement(-1, count: padded - ids.count)), padded)
    }

    /// `AND column NOT IN (?, …)` for `count` ids, nothing for none.
    static func notIn(_ column: String, count: Int) -> String {
        count == 0 ? "" : "AND \(column) NOT IN (\(databaseQuestionMarks(count: count)))"
    }
}
