import Foundation
import Logging
import LogoutCore
import LogoutPostgres
import LogoutStorage

/// `logoutd migrate-store`: an embedded SQLite store moved into an empty PostgreSQL database,
/// registry, log, queue and key schedule alike, ids kept. The daemon on the file must be
/// stopped (its lock file is taken for the copy), so nothing is written to it meanwhile.
public enum StoreMigration {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// - Parameters:
    ///   - from: `sqlite:PATH`.
    ///   - to: a `database.url`; the password from `LOGOUTD_DATABASE_PASSWORD`.
    /// - Returns: rows copied per table.
    public static func run(from: String, to: String, logger: Logger) async throws -> [(String, Int)] {
        guard from.hasPrefix("sqlite:"), case let path = String(from.dropFirst("sqlite:".count)), !path.isEmpty else {
            throw Failure(description: "--from must be sqlite:PATH, the database.path of the daemon being moved")
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure(description: "no SQLite database at \(path)")
        }
        let location: PostgresLocation
        do {
            location = PostgresLocation(try DatabaseURL(to))
        } catch {
            throw Failure(description: "--to: \(error)")
        }
        let lock: ProcessLock
        do {
            lock = try ProcessLock(path: path + ".lock")
        } catch {
            throw Failure(description: "stop the logoutd running on \(path) first: \(error)")
        }
        defer { _ = lock }
        let source = try LogoutDatabase(path: path)
        defer { try? source.close() }
        let tables = try await source.exportAll()
        let password = ProcessInfo.processInfo.environment["LOGOUTD_DATABASE_PASSWORD"].flatMap {
            $0.isEmpty ? nil : $0
        }
        let target = try await PostgresStore.connect(
            location,
            password: password,
            owner: "migrate-store",
            operationTimeout: .seconds(30),
            logger: logger
        )
        return try await target.whileRunning {
            try await target.migrate()
            return try await target.importTables(tables, now: Timestamp(Date()))
        }
    }
}
