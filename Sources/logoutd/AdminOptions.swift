import ArgumentParser
import Foundation
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore
import LogoutService

#if canImport(Glibc)
    import Glibc
#endif

/// How an admin command reaches the daemon, and how it prints.
struct AdminOptions: ParsableArguments {
    @Option(
        name: .long,
        help: "The daemon's config file, for admin.listen and admin.token_file (default: /etc/logoutd/logoutd.yaml)."
    )
    var config: String?

    @Option(name: .long, help: "The admin API, such as http://127.0.0.1:8081 or unix:/run/logoutd/admin.sock.")
    var adminURL: String?

    @Option(name: .long, help: "The file holding the admin token.")
    var tokenFile: String?

    @Flag(name: .long, help: "Print the admin API's JSON instead of a table.")
    var json = false

    /// Runs `body` with a client, mapping every failure to a message and an exit status.
    func withClient(_ body: (AdminClient) async throws -> Void) async throws {
        let client: AdminClient
        do {
            client = try await connect()
        } catch let failure as CLIFailure {
            throw failure.exit()
        }
        do {
            try await body(client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw CLIFailure(error).exit()
        }
    }

    func connect() async throws -> AdminClient {
        var endpoint = adminURL.map(AdminClient.Endpoint.init)
        var tokenPaths = tokenFile.map { [$0] } ?? []
        if endpoint == nil || tokenPaths.isEmpty {
            let configPath = AdminCommandLocation.config(
                explicit: config,
                workingDirectory: FileManager.default.currentDirectoryPath
            )
            let configuration: LogoutdConfiguration
            do {
                configuration = try await LogoutdConfiguration.load(path: configPath)
            } catch {
                throw CLIFailure(message: "invalid configuration: \(error)", status: 1)
            }
            switch configuration.adminListen {
            case .tcp(let host, let port):
                let shown = host.contains(":") ? "[\(host)]" : host
                endpoint = endpoint ?? .http("http://\(shown):\(port)")
            case .unix(let path):
                endpoint = endpoint ?? .unixSocket(path)
            }
            if tokenPaths.isEmpty {
                tokenPaths = AdminCommandLocation.tokenFiles(configuration: configuration, configPath: configPath)
            }
        }
        guard let endpoint else { throw CLIFailure(message: "no admin API address", status: 1) }
        guard
            let (tokenPath, data) = tokenPaths.lazy.compactMap({ path in
                FileManager.default.contents(atPath: path).map { (path, $0) }
            }).first
        else {
            throw CLIFailure(
                message: "cannot read the admin token from "
                    + tokenPaths.joined(separator: " or ")
                    + "; give --token-file, or --config with the daemon's config (as root on an installed system)",
                status: 4
            )
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return AdminClient(endpoint: endpoint, token: token, tokenSource: tokenPath)
    }

    /// Prints a resource as the API's JSON, or as a table.
    func show<Value: Encodable>(_ value: Value, table: (Value) -> Table) {
        if json {
            let encoder = AdminJSON.encoder
            encoder.outputFormatting.insert(.prettyPrinted)
            print(String(decoding: (try? encoder.encode(value)) ?? Data(), as: UTF8.self))
        } else {
            print(table(value).render(colors: Output.colors))
        }
    }

    /// Prints a short confirmation, or the API's JSON.
    func done<Value: Encodable>(_ value: Value, _ message: String) {
        if json {
            show(value) { _ in Table([]) }
        } else {
            print(message)
        }
    }
}

enum Output {
    /// Colours on a terminal, none when piped or when `NO_COLOR` is set.
    static var colors: Bool {
        isatty(STDOUT_FILENO) == 1 && ProcessInfo.processInfo.environment["NO_COLOR"] == nil
    }

    static var now: Timestamp { Timestamp(Date()) }
}

/// A failed command: its message on standard error and its exit status (see `logoutd --help`).
struct CLIFailure: Error {
    let message: String
    let status: Int32

    init(message: String, status: Int32) {
        self.message = message
        self.status = status
    }

    init(_ error: any Error) {
        switch error {
        case let failure as CLIFailure:
            self = failure
        case let failure as AdminClient.Failure:
            switch failure {
            case .unreachable: self.init(message: failure.description, status: 3)
            case .unauthorized: self.init(message: failure.description, status: 4)
            case .unreadable: self.init(message: failure.description, status: 1)
            case .api(let refusal):
                let status: Int32
                switch refusal.kind {
                case .notFound: status = 5
                case .invalidRequest, .unprocessable, .unsupportedMediaType: status = 6
                case .conflict: status = 7
                case .unavailable: status = 8
                case .unauthorized: status = 4
                }
                self.init(message: failure.description, status: status)
            }
        case let refusal as AdminError:
            self.init(.api(refusal))
        default:
            self.init(message: String(describing: error), status: 1)
        }
    }

    init(_ failure: AdminClient.Failure) {
        self.init(failure as any Error)
    }

    func exit() -> ExitCode {
        FileHandle.standardError.write(Data("logoutd: \(message)\n".utf8))
        return ExitCode(status)
    }
}
