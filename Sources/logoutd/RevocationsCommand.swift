import ArgumentParser
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct RevocationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "revocations",
        abstract: "Upstream token revocations (RFC 7009) of ended sessions; retry after a fix.",
        subcommands: [List.self, Retry.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List revocations, newest first.",
            discussion: """
                Examples:
                  logoutd revocations list --status failed
                  logoutd revocations list --event-id 42
                """
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "pending, retrying, revoked or failed.") var status: RevocationStatus?
        @Option(help: "One event.") var eventID: Int64?
        @Option(help: "At most this many (1-1000).") var limit = 50

        func run() async throws {
            try await admin.withClient { client in
                let list = try await client.revocations(RevocationQuery(status: status, eventID: eventID, limit: limit))
                admin.show(list) { Views.revocations($0, now: Output.now) }
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a failed revocation again (once the issuer's endpoint or credentials are fixed)."
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its id.") var id: Int64

        func run() async throws {
            try await admin.withClient { client in
                let queued = try await client.retryRevocation(id: id)
                admin.done(queued, "revocation \(id) queued again")
            }
        }
    }
}

extension RevocationStatus: ExpressibleByArgument {}
