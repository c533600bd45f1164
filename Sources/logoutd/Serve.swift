import ArgumentParser
import Foundation
import Logging
import LogoutService

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the daemon in the foreground until SIGTERM or SIGINT."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let config: LogoutdConfiguration
        do {
            config = try await LogoutdConfiguration.load(path: options.config)
        } catch {
            FileHandle.standardError.write(Data("logoutd: invalid configuration: \(error)\n".utf8))
            throw ExitCode(1)
        }
        let level = Logger.Level(rawValue: config.logLevel) ?? .info
        let environment = ProcessInfo.processInfo.environment
        if JournalLogHandler.isJournal(environment: environment) {
            // Tests point it at their own socket; systemd's is the default.
            let socket = environment["LOGOUTD_TEST_JOURNAL_SOCKET"] ?? JournalLogHandler.defaultSocket
            LoggingSystem.bootstrap {
                CountingLogHandler(JournalLogHandler(label: $0, level: level, socketPath: socket))
            }
        } else {
            LoggingSystem.bootstrap { label in
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return CountingLogHandler(handler)
            }
        }
        // Every line is counted by level (`logoutd_log_lines_total`), so what the journal lost shows.
        let logger = Logger(label: "logoutd")
        do {
            try await Daemon.run(configuration: config, logger: logger)
        } catch let failure as Daemon.StartupFailure {
            logger.critical("cannot start", metadata: ["error": "\(failure.description)"])
            throw ExitCode(1)
        }
    }
}
