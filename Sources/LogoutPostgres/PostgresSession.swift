import Foundation
import Logging
import LogoutCore
import PostgresNIO

/// One connection lent to an operation, with the reads it needs by column name.
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await connection.run(query, logger: logger).map { $0.makeRandomAccess() }
    }

    func row(_ query: PostgresQuery) async throws -> PostgresRandomAccessRow? {
        try await rows(query).first
    }

    func execute(_ query: PostgresQuery) async throws {
        try await connection.run(query, logger: logger)
    }

    /// The first column of the first row, `nil` when there is no row.
    func value<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type = T.self) async throws -> T? {
        guard let row = try await connection.run(query, logger: logger).first else { return nil }
        return try row.makeRandomAccess()[0].decode(T.self)
    }

    /// How many rows a statement with `RETURNING 1` changed.
    func count(_ query: PostgresQuery) async throws -> Int {
        try await connection.run(query, logger: logger).count
    }
}

extension PostgresRandomAccessRow {
    /// The column's value; a type that does not match the column is a bug of ours.
    func get<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        try self[column].decode(T.self)
    }

    func time(_ column: String) throws -> Timestamp {
        Timestamp(millisecondsSince1970: try get(column, as: Int64.self))
    }

    func optionalTime(_ column: String) throws -> Timestamp? {
        try get(column, as: Int64?.self).map(Timestamp.init(millisecondsSince1970:))
    }

    func bytes(_ column: String) throws -> [UInt8]? {
        try get(column, as: ByteBuffer?.self).map { Array($0.readableBytesView) }
    }
}

extension PostgresStore {
    /// A read on a pooled connection, bounded by the operation timeout.
    func read<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await bounded {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await self.client.withConnection { connection in
                        try await body(PostgresSession(connection: connection, logger: self.driverLogger))
                    }
                } catch is ClosedConnection where attempt < Self.closedConnectionAttempts {
                    try await Self.pauseAfterClosedConnection(attempt)
                }
            }
        }
    }

    /// How often an operation that met a closed connection is tried in all. The pool learns of
    /// a closed connection asynchronously: under load it lent the same dead connection to three
    /// immediate retries (found by `aTransactionWhoseConnectionDiesBetweenStatementsRunsAgainElsewhere`
    /// in CI), so each retry first yields a little longer.
    static let closedConnectionAttempts = 6

    static func pauseAfterClosedConnection(_ attempt: Int) async throws {
        try await Task.sleep(for: .milliseconds(10 << min(attempt, 5)))
    }

    /// One transaction, committed before this returns. A serialization failure or a deadlock
    /// between replicas rolls it back; it is then run again, a few times at most. So is one that
    /// met a connection the server had closed (after a database restart the pool still lends
    /// some): `ClosedConnection` means the statement, and so `COMMIT`, was never sent.
    func write<T: Sendable>(_ body: @escaping @Sendable (PostgresSession) async throws -> T) async throws -> T {
        try await bounded {
            var attempt = 0
            while true {
                attempt += 1
                do {
                    return try await self.client.withConnection { connection in
                        try await connection.run("BEGIN", logger: self.driverLogger)
                        do {
                            let result = try await body(
                                PostgresSession(connection: connection, logger: self.driverLogger)
                            )
                            try await connection.run("COMMIT", logger: self.driverLogger)
                            return result
                        } catch {
                            _ = try? await connection.run("ROLLBACK", logger: self.driverLogger)
                            throw error
                        }
                    }
                } catch let error as PSQLError where attempt < 4 && Self.isRetryable(error) {
                    continue
                } catch is ClosedConnection where attempt < Self.closedConnectionAttempts {
                    try await Self.pauseAfterClosedConnection(attempt)
                }
            }
        }
    }

    static func isRetryable(_ error: PSQLError) -> Bool {
        guard let state = error.serverInfo?[.sqlState] else { return false }
        // serialization_failure, deadlock_detected
        return state == "40001" || state == "40P01"
    }

    static func isUniqueViolation(_ error: any Error) -> Bool {
        (error as? PSQLError)?.serverInfo?[.sqlState] == "23505"
    }

    /// Runs `body`, or fails after the operation timeout: a server that does not answer must
    /// turn into an error the caller can answer with (a 503), not into a request that hangs.
    func bounded<T: Sendable>(
        _ limit: Duration? = nil,
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let timeout = limit ?? operationTimeout
        do {
            return try await withDeadline(
                timeout,
                timedOut: { Failure(description: "the database did not answer within \(timeout)") },
                body
            )
        } catch {
            if Self.mayMeanAnotherPrimary(error) { pools.operationFailed() }
            throw error
        }
    }

    /// A failure of the server or the connection, not of the statement: no answer by the
    /// deadline, a closed connection or one the driver could not make, a server shutting down,
    /// or one that no longer takes writes (a primary turned standby). A constraint, a conflict
    /// between replicas, a row not found or a cancellation says nothing of where the primary is.
    static func mayMeanAnotherPrimary(_ error: any Error) -> Bool {
        switch error {
        case let error as PSQLError:
            guard let state = error.serverInfo?[.sqlState] else { return true }
            return ["08", "25", "53", "57", "58"].contains(String(state.prefix(2)))
        case is ClosedConnection, is Failure:
            return true
        default:
            return false
        }
    }
}

/// `WHERE` conditions built from optional filters, numbered `$1…` in order.
struct PostgresConditions {
    private var clauses: [String] = []
    private(set) var binds = PostgresBindings()

    /// `clause` uses `?` for each value, in order.
    mutating func add(_ clause: String, _ values: String...) {
        var text = ""
        var index = 0
        for character in clause {
            if character == "?" {
                binds.append(values[index])
                index += 1
                text += "$\(binds.count)"
            } else {
                text.append(character)
            }
        }
        clauses.append(text)
    }

    mutating func add(_ clause: String, _ value: Int64) {
        binds.append(value)
        clauses.append(clause.replacingOccurrences(of: "?", with: "$\(binds.count)"))
    }

    var whereClause: String { clauses.isEmpty ? "" : "WHERE " + clauses.joined(separator: " AND ") }

    /// The next placeholder, for a value appended after the conditions (a `LIMIT`).
    mutating func placeholder(for value: Int) -> String {
        binds.append(Int64(value))
        return "$\(binds.count)"
    }
}
