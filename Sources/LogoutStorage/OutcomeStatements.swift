import GRDB
import LogoutCore

/// The two statements that store an attempt's outcome, looked up once per batch of outcomes
/// rather than twice per outcome: GRDB's cache hashes the SQL text on every look-up.
///
/// The arguments stay array literals. Built as `[DatabaseValue]` and passed through GRDB's
/// generic `StatementArguments(_:)`, which is not specialized across the module, they cost
/// 1,800 more instructions per column in callgrind, not fewer.
struct OutcomeStatements {
    private let update: Statement
    private let insertAttempt: Statement

    init(_ db: Database) throws {
        update = try db.cachedStatement(
            sql: """
                UPDATE deliveries SET status = ?, attempts = ?, next_attempt_at = ?, lease_until = NULL,
                    leased_at = NULL, delivered_at = ?, last_status_code = ?, last_error = ?, reason = ?,
                    finished_at = ?
                WHERE id = ?
                """
        )
        insertAttempt = try db.cachedStatement(
            sql: """
                INSERT OR REPLACE INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code,
                    error_class, jti, rp_error, next_attempt_at, remote_address, trace_id)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """
        )
    }

    func store(_ report: AttemptReport) throws {
        let t = report.transition
        try update.execute(arguments: [
            t.status.rawValue, t.attempts, t.nextAttemptAt?.column, t.deliveredAt?.column, t.lastStatusCode,
            t.lastError.map { SafeText.truncated($0, limit: 1024) },
            t.reason.map { SafeText.truncated($0, limit: 1024) },
            t.finishedAt?.column, report.deliveryID,
        ])
        guard let attempt = report.attempt else { return }
        try insertAttempt.execute(arguments: [
            attempt.deliveryID, attempt.attempt, attempt.startedAt.column, attempt.duration.wholeMilliseconds,
            attempt.statusCode, attempt.errorClass?.rawValue, attempt.jti,
            attempt.rpError.map { SafeText.truncated($0, limit: 1024) }, attempt.nextAttemptAt?.column,
            attempt.remoteAddress, attempt.traceID,
        ])
    }
}
