import LogoutCore
import PostgresNIO

extension PostgresStore {
    /// Stores a batch of outcomes, each only while its delivery is still under the lease it was
    /// attempted under (`recordAttempts`); returns those stored, in the batch's order, with their
    /// RPs, and the ids of those dropped.
    ///
    /// One statement for the whole batch: the outcomes and their attempt rows travel as two JSON
    /// parameters, so a batch costs one round trip however many deliveries it ends (each round
    /// trip costs the replica about as much CPU as the work it carries). A batch naming one
    /// delivery twice is stored one report at a time, in order, as each report's lease check
    /// must see the one before it; so is one whose attempts name one delivery twice. An attempt
    /// row is written when its report's outcome is.
    ///
    /// Integers travel as JSON strings, which PostgreSQL reads back exactly: our serializer writes
    /// numbers from a `Double`, exact only below 2^53.
    static func storeOutcomes(
        _ reports: [AttemptReport],
        owner: String,
        _ db: PostgresSession
    ) async throws -> (stored: [(report: AttemptReport, clientID: String)], dropped: [Int64]) {
        var stored: [(report: AttemptReport, clientID: String)] = []
        var dropped: [Int64] = []
        let attempted = reports.compactMap(\.attempt?.deliveryID)
        let oneEach =
            Set(reports.map(\.deliveryID)).count == reports.count && Set(attempted).count == attempted.count
        guard oneEach else {
            for report in reports {
                let one = try await storeOutcomes([report], owner: owner, db)
                stored += one.stored
                dropped += one.dropped
            }
            return (stored, dropped)
        }
        var clientIDs: [Int64: String] = [:]
        for row in try await db.rows(outcomesStatement(reports, owner: owner)) {
            clientIDs[try row.get("id", as: Int64.self)] = try row.get("client_id", as: String.self)
        }
        for report in reports {
            if let clientID = clientIDs[report.deliveryID] {
                stored.append((report, clientID))
            } else {
                dropped.append(report.deliveryID)
            }
        }
        return (stored, dropped)
    }

    static func outcomesStatement(_ reports: [AttemptReport], owner: String) -> PostgresQuery {
        let outcomes = JSONSerializer.string(
            .array(
                reports.map { report in
                    let t = report.transition
                    return .array([
                        .integer(report.deliveryID), .string(t.status.rawValue), .integer(t.attempts),
                        .milliseconds(t.nextAttemptAt), .milliseconds(t.deliveredAt), .integer(t.lastStatusCode),
                        .optional(t.lastError.map { SafeText.truncated($0, limit: 1024) }),
                        .optional(t.reason.map { SafeText.truncated($0, limit: 1024) }), .milliseconds(t.finishedAt),
                        .integer(report.leaseStamp),
                    ])
                }
            )
        )
        let attempts = JSONSerializer.string(
            .array(
                reports.compactMap { report in report.attempt.map { (report.deliveryID, $0) } }.map { report, attempt in
                    .array([
                        .integer(report), .integer(attempt.deliveryID), .integer(attempt.attempt),
                        .milliseconds(attempt.startedAt), .integer(attempt.duration.wholeMilliseconds),
                        .integer(attempt.statusCode), .optional(attempt.errorClass?.rawValue), .string(attempt.jti),
                        .optional(attempt.rpError.map { SafeText.truncated($0, limit: 1024) }),
                        .milliseconds(attempt.nextAttemptAt), .optional(attempt.remoteAddress),
                        .optional(attempt.traceID),
                    ])
                }
            )
        )
        return """
            WITH outcome AS (
                SELECT (o->>0)::BIGINT AS id, o->>1 AS status, (o->>2)::BIGINT AS attempts,
                    (o->>3)::BIGINT AS next_attempt_at, (o->>4)::BIGINT AS delivered_at,
                    (o->>5)::BIGINT AS last_status_code, o->>6 AS last_error, o->>7 AS reason,
                    (o->>8)::BIGINT AS finished_at, (o->>9)::BIGINT AS lease_stamp
                FROM json_array_elements(\(outcomes)::json) AS o
            ), stored AS (
                UPDATE deliveries d SET status = outcome.status, attempts = outcome.attempts,
                    next_attempt_at = outcome.next_attempt_at, lease_until = NULL, leased_at = NULL, lease_owner = NULL,
                    delivered_at = outcome.delivered_at, last_status_code = outcome.last_status_code,
                    last_error = outcome.last_error, reason = outcome.reason, finished_at = outcome.finished_at
                FROM outcome
                WHERE d.id = outcome.id AND CASE WHEN outcome.lease_stamp IS NULL
                    THEN d.lease_owner = \(owner) OR (d.lease_owner IS NULL AND d.status IN ('pending', 'retrying'))
                    ELSE d.lease_owner = \(owner) AND d.leased_at = outcome.lease_stamp END
                RETURNING d.id, d.client_id
            ), attempted AS (
                INSERT INTO attempts (delivery_id, attempt, started_at, duration_ms, status_code, error_class, jti,
                    rp_error, next_attempt_at, replica, remote_address, trace_id)
                SELECT (a->>1)::BIGINT, (a->>2)::BIGINT, (a->>3)::BIGINT, (a->>4)::BIGINT, (a->>5)::BIGINT, a->>6,
                    a->>7, a->>8, (a->>9)::BIGINT, \(owner), a->>10, a->>11
                FROM json_array_elements(\(attempts)::json) AS a
                JOIN stored ON stored.id = (a->>0)::BIGINT
                ON CONFLICT (delivery_id, attempt) DO UPDATE SET started_at = excluded.started_at,
                    duration_ms = excluded.duration_ms, status_code = excluded.status_code,
                    error_class = excluded.error_class, jti = excluded.jti, rp_error = excluded.rp_error,
                    next_attempt_at = excluded.next_attempt_at, replica = excluded.replica,
                    remote_address = excluded.remote_address, trace_id = excluded.trace_id
            )
            SELECT id, client_id FROM stored
            """
    }
}

extension JSONValue {
    /// An integer as a JSON string, which PostgreSQL reads back exactly.
    static func integer(_ value: (some BinaryInteger)?) -> JSONValue {
        value.map { .string(String($0)) } ?? .null
    }

    fileprivate static func milliseconds(_ time: Timestamp?) -> JSONValue {
        integer(time?.millisecondsSince1970)
    }
}
