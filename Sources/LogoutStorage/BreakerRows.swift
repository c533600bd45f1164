import GRDB
import LogoutCore

extension CircuitBreaker {
    /// A breaker's columns, the last six of every query that reads one (`state`,
    /// `consecutive_failures`, `since`, `last_error`, `next_probe_at`, `failed_probes`, in that
    /// order), read by position: GRDB's lookup by name lowercases each name for each row, and
    /// every claim reads every RP's breaker. No state (no row, a LEFT JOIN's nulls) is closed.
    init(joined row: Row) {
        self.init()
        let first = row.count - 6
        guard let state = (row[first] as String?).flatMap(State.init(rawValue:)) else { return }
        self.state = state
        consecutiveFailures = row[first + 1] ?? 0
        since = (row[first + 2] as Int64?).timestamp
        lastError = row[first + 3]
        nextProbeAt = (row[first + 4] as Int64?).timestamp
        failedProbes = row[first + 5] ?? 0
    }

    /// Every RP's breaker, read on every claim, since claims and outcomes change them while the
    /// RPs themselves come from a cache.
    static let selectByRelyingParty = """
        SELECT client_id, state, consecutive_failures, since, last_error, next_probe_at, failed_probes FROM breakers
        """

    /// `SELECT` for RPs with their breaker.
    static let selectRelyingParties = """
        SELECT \(RelyingPartyRow.selection("r.")), b.state AS breaker_state, b.consecutive_failures AS breaker_failures, b.since AS breaker_since,
            b.last_error AS breaker_last_error, b.next_probe_at AS breaker_next_probe_at,
            b.failed_probes AS breaker_failed_probes
        FROM relying_parties r LEFT JOIN breakers b ON b.client_id = r.client_id
        """

    func save(clientID: String, _ db: Database) throws {
        try save(into: "breakers", key: "client_id", id: clientID, whileIn: "relying_parties", as: "client_id", db)
    }

    static func load(clientID: String, _ db: Database) throws -> CircuitBreaker {
        try load(from: "breakers", key: "client_id", id: clientID, db)
    }

    /// A push stream's breaker (`ssf_breakers`); no row is closed.
    static func load(streamID: String, _ db: Database) throws -> CircuitBreaker {
        try load(from: "ssf_breakers", key: "stream_id", id: streamID, db)
    }

    /// Saved only while its stream exists: an outcome may come back after the stream was deleted.
    func save(streamID: String, _ db: Database) throws {
        try save(into: "ssf_breakers", key: "stream_id", id: streamID, whileIn: "ssf_streams", as: "id", db)
    }

    /// One target's breaker in `table`, keyed by `key`; written only while the target's row
    /// (`owner.ownerKey`) exists.
    private func save(
        into table: String,
        key: String,
        id: String,
        whileIn owner: String,
        as ownerKey: String,
        _ db: Database
    ) throws {
        try db.cachedStatement(
            sql: """
                INSERT INTO \(table) (\(key), state, consecutive_failures, since, last_error, next_probe_at,
                    failed_probes)
                SELECT ?, ?, ?, ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM \(owner) WHERE \(ownerKey) = ?)
                ON CONFLICT(\(key)) DO UPDATE SET state = excluded.state,
                    consecutive_failures = excluded.consecutive_failures, since = excluded.since,
                    last_error = excluded.last_error, next_probe_at = excluded.next_probe_at,
                    failed_probes = excluded.failed_probes
                """
        ).execute(arguments: [
            id, state.rawValue, consecutiveFailures, since?.column, lastError, nextProbeAt?.column, failedProbes, id,
        ])
    }

    private static func load(from table: String, key: String, id: String, _ db: Database) throws -> CircuitBreaker {
        guard
            let row = try Row.fetchOne(
                db.cachedStatement(
                    sql: """
                        SELECT state AS breaker_state, consecutive_failures AS breaker_failures, since AS breaker_since,
                            last_error AS breaker_last_error, next_probe_at AS breaker_next_probe_at,
                            failed_probes AS breaker_failed_probes
                        FROM \(table) WHERE \(key) = ?
                        """
                ),
                arguments: [id]
            )
        else { return CircuitBreaker() }
        return CircuitBreaker(joined: row)
    }
}
