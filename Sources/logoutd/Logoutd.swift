import ArgumentParser
import Foundation
import Logging
import LogoutService

@main
struct Logoutd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logoutd",
        abstract: "Back-channel logout fan-out daemon.",
        discussion: """
            Accepts OpenID Connect back-channel logout tokens, looks up the sessions they end, and
            delivers a freshly signed logout token to every affected relying party through a durable,
            retrying queue.
            """,
        subcommands: [Serve.self, CheckConfig.self]
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of the YAML config file; without it, defaults and LOGOUTD_* variables apply.")
    var config: String?
}

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
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "logoutd")
        do {
            try await Daemon.run(configuration: config, logger: logger)
        } catch let failure as Daemon.StartupFailure {
            logger.critical("cannot start", metadata: ["error": "\(failure.description)"])
            throw ExitCode(1)
        }
    }
}

struct CheckConfig: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check-config",
        abstract: "Validate the configuration and print the effective values."
    )

    @OptionGroup var options: ConfigOption

    func run() async throws {
        do {
            let config = try await LogoutdConfiguration.load(path: options.config)
            let width = config.summary.map(\.0.count).max() ?? 0
            for (key, value) in config.summary {
                print(key.padding(toLength: width, withPad: " ", startingAt: 0) + "  " + value)
            }
            print("configuration is valid")
        } catch {
            FileHandle.standardError.write(Data("logoutd: invalid configuration: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
