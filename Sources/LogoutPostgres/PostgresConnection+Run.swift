import Logging
import PostgresNIO

/// A connection the server closed before our statement was written: nothing of it reached the
/// server, so the operation may safely be run again on another connection.
struct ClosedConnection: Error, CustomStringConvertible {
    var description: String { "the database closed the connection" }
}

extension PostgresConnection {
    /// Every statement of ours goes through here. postgres-nio 1.33 never answers a statement
    /// written to a connection the server has already closed (no rows, no error): after a
    /// database restart a pooled connection, or one whose server process was ended between two
    /// statements of a transaction, would hang its caller. A closed connection is refused first.
    @discardableResult
    func run(_ query: PostgresQuery, logger: Logger) async throws -> [PostgresRow] {
        guard !isClosed else { throw ClosedConnection() }
        return try await self.query(query, logger: logger).collect()
    }
}
