import ArgumentParser
import Foundation
import LogoutService

@main
struct Logoutd: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logoutd",
        abstract: "Back-channel logout fan-out daemon.",
        discussion: """
            Accepts OpenID Connect back-channel logout tokens, looks up the sessions they end, and \
            delivers a freshly signed logout token to every affected relying party through a durable, \
            retrying queue.

            Run the daemon with `serve`. Every other command except `token` and `dev-rp` talks to a \
            running daemon's admin API, never to its database: its address and token come from --config \
            (the daemon's config file), or --admin-url and --token-file; without either, the installed \
            /etc/logoutd/logoutd.yaml when it exists (and the working folder has no data/admin-token), \
            else the defaults and LOGOUTD_* variables, as for the daemon. Tables by default, --json for \
            scripts.

            Exit status: 0 done, 1 failed, 64 bad command line, 3 daemon unreachable, 4 token refused, \
            5 not found, 6 invalid request, 7 conflict, 8 daemon busy (retry).
            """,
        subcommands: [
            Serve.self, CheckConfig.self, IssuersCommand.self, RelyingPartiesCommand.self, SessionsCommand.self,
            EventsCommand.self, DeliveriesCommand.self, RevocationsCommand.self, AdminLogoutCommand.self,
            KeysCommand.self, SharedSignalsCommand.self,
            BackupCommand.self, MigrateStoreCommand.self, TokenCommand.self, DevRPCommand.self,
        ]
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: .long, help: "Path of the YAML config file; without it, defaults and LOGOUTD_* variables apply.")
    var config: String?
}
