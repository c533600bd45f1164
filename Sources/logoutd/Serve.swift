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
        // With tracing on, a line written inside a span carries its `trace_id` and `span_id`.
        let spanFields = TracingBackend.loggingMetadataProvider(config.tracing)
        if JournalLogHandler.isJournal(environment: environment) {
            // Tests point it at their own socket; systemd's is the default.
            let socket = environment["LOGOUTD_TEST_JOURNAL_SOCKET"] ?? JournalLogHandler.defaultSocket
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler = JournalLogHandler(label: label, level: level, socketPath: socket)
                    handler.metadataProvider = provider
                    return CountingLogHandler(handler)
                },
                metadataProvider: spanFields
            )
        } else {
            LoggingSystem.bootstrap(
                { label, provider in
                    var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                    handler.logLevel = level
                    return CountingLogHandler(handler)
                },
                metadataProvider: spanFields
            )
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
