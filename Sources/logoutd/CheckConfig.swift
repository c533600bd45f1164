import ArgumentParser
import Foundation
import LogoutService

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
            for warning in StoreCheck.warnings(config) {
                FileHandle.standardError.write(Data("logoutd: warning: \(warning)\n".utf8))
            }
            if let database = try await StoreCheck.run(config) {
                print("database: " + database)
            }
            print("configuration is valid")
        } catch let failure as StoreCheck.Unreachable {
            FileHandle.standardError.write(Data("logoutd: cannot connect to the database: \(failure)\n".utf8))
            throw ExitCode(1)
        } catch {
            FileHandle.standardError.write(Data("logoutd: invalid configuration: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
