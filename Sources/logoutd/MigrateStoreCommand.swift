import ArgumentParser
import Foundation
import Logging
import LogoutService

struct MigrateStoreCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate-store",
        abstract: "Move a SQLite store into an empty PostgreSQL database (docs/scale-out.md).",
        discussion: """
            Stop the daemon first (its lock file is taken for the copy); the copy is one
            transaction: all rows or none. Registry, log, queue and key schedule keep their ids;
            deliveries in flight at the stop are due again. Then set database.url and start the
            first replica with the old keys.dir and secrets key: it shares the signing keys with
            the others. The password comes from LOGOUTD_DATABASE_PASSWORD.
            Example:
              logoutd migrate-store --from sqlite:/var/lib/logoutd/logoutd.sqlite3 \\
                --to 'postgres://logoutd@db.internal:5432/logoutd?sslmode=verify-full'
            """
    )
    @Option(help: "sqlite:PATH, the database.path of the stopped daemon.") var from: String
    @Option(help: "postgres://USER@HOST:PORT/DB?sslmode=…, an empty database.") var to: String

    func run() async throws {
        let started = ContinuousClock.now
        do {
            var logger = Logger(label: "logoutd.migrate-store")
            logger.logLevel = .warning
            let counts = try await StoreMigration.run(from: from, to: to, logger: logger)
            for (table, count) in counts {
                print(table.padding(toLength: 20, withPad: " ", startingAt: 0) + " \(count)")
            }
            print("moved in \(started.duration(to: .now)); set database.url and start the replicas")
        } catch {
            FileHandle.standardError.write(Data("logoutd: migrate-store failed: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
