import GRDB
import LogoutCore

/// A plan's delivery rows, written with one statement for up to `maximumPerStatement` of them.
///
/// The rows of a logout to 25 RPs were 25 executions of a one-row `INSERT`, each paying for
/// SQLite opening its cursors on the table and its indexes and for GRDB's work around an
/// execution, on the writer: the single thread every acknowledgement waits for. One multi-row
/// `VALUES` pays once (callgrind, issue 24's twelfth slice: 48,800 → 39,000 instructions per row
/// made from a plan). The statement for each row count is prepared once per connection (the
/// writer's cache), so there are as many as the distinct fan-out sizes, at most
/// `maximumPerStatement`; a larger plan is written that many rows at a time.
enum DeliveryRows {
    static let maximumPerStatement = 32

    /// The values bound per row (client_id, sub, sid, skip reason) after the three all rows share
    /// (event id, time, trace context), as numbered parameters; a row's status and times follow
    /// from its reason in SQL. Past 20 values GRDB copies every string it binds: the first
    /// version, ten values a row from one generic `StatementArguments(_:)`, saved about an eighth
    /// of what this one does.
    private static let valuesPerRow = 4
    private static let sharedValues = 3
    /// The SQL for 1 … `maximumPerStatement` rows, at index count − 1: built once, not per plan.
    private static let statements: [String] = (1...maximumPerStatement).map { count in
        let rows = (0..<count).map { row in
            let first = sharedValues + row * valuesPerRow + 1
            let (client, sub, sid, reason) = ("?\(first)", "?\(first + 1)", "?\(first + 2)", "?\(first + 3)")
            return """
                (?1, \(client), \(sub), \(sid), CASE WHEN \(reason) IS NULL THEN 'pending' ELSE 'skipped' END, ?2,
                    CASE WHEN \(reason) IS NULL THEN ?2 END, \(reason), CASE WHEN \(reason) IS NOT NULL THEN ?2 END, ?3)
                """
        }
        return """
            INSERT INTO deliveries (event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason,
                finished_at, trace_context) VALUES
            """ + " " + rows.joined(separator: ", ")
    }

    /// Skipped deliveries are written finished, with their reason; the others wait, due now.
    static func insert(
        _ deliveries: [PlannedDelivery],
        eventID: Int64,
        nowMs: Int64,
        traceContext: String?,
        _ db: Database
    ) throws {
        var start = deliveries.startIndex
        while start < deliveries.endIndex {
            let end = min(start + maximumPerStatement, deliveries.endIndex)
            // Array literals, appended: GRDB builds those with its own specialized code, while
            // its generic `StatementArguments(_:)` called from here is not specialized and
            // costs twice as much per value (callgrind).
            var arguments: StatementArguments = [eventID, nowMs, traceContext]
            for delivery in deliveries[start..<end] {
                arguments += [delivery.clientID, delivery.sub, delivery.sid, delivery.skipReason]
            }
            try db.cachedStatement(sql: statements[end - start - 1]).execute(arguments: arguments)
            start = end
        }
    }
}
