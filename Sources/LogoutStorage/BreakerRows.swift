import GRDB
import LogoutCore

extension CircuitBreaker {
    /// The `breakers` columns joined to an RP's row as `breaker_*`; absent (no row) is closed.
    init(joined row: Row) {
        self.init()
        guard let state = (row["breaker_state"] as String?).flatMap(State.init(rawValue:)) else { return }
        self.state = state
        consecutiveFailures = row["breaker_failures"] ?? 0
        since = (row["breaker_since"] as Int64?).timestamp
        lastError = row["breaker_last_error"]
        nextProbeAt = (row["breaker_next_probe_at"] as Int64?).timestamp
        failedProbes = row["breaker_failed_probes"] ?? 0
    }

    /// `SELECT` for RPs with their breaker.
    static let selectRelyingParties = """
        SELECT r.*, b.state AS breaker_state, b.consecutive_failures AS breaker_failures, b.since AS breaker_since,
            b.last_error AS breaker_last_error, b.next_probe_at AS breaker_next_probe_at,
            b.failed_probes AS breaker_failed_probes
        FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
        """

    func save(clientID: String, _ db: Database) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO breakers (client_id, state, consecutive_failures, since, last_error, next_probe_at,
                    failed_probes) VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT(client_id) DO UPDATE SET state = excluded.state,
                    consecutive_failures = excluded.consecutive_failures, since = excluded.since,
                    last_error = excluded.last_error, next_probe_at = excluded.next_probe_at,
                    failed_probes = excluded.failed_probes
                """
        ).execute(arguments: [
            clientID, state.rawValue, consecutiveFailures, since?.column, lastError, nextProbeAt?.column, failedProbes,
        ])
    }

    static func load(clientID: String, _ db: Database) throws -> CircuitBreaker {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT state AS breaker_state, consecutive_failures AS breaker_failures, since AS breaker_since,
                            last_error AS breaker_last_error, next_probe_at AS breaker_next_probe_at,
                            failed_probes AS breaker_failed_probes
                        FROM breakers WHERE client_id = ?
                        """
                ),
                arguments: [clientID]
            )
        else { return CircuitBreaker() }
        return CircuitBreaker(joined: row)
    }
}
