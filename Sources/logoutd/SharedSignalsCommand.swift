import ArgumentParser
import Foundation
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct SharedSignalsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ssf",
        abstract: "Shared Signals (SSF 1.0, CAEP 1.0): the receivers that may create streams of our events.",
        subcommands: [ReceiversCommand.self, StreamsCommand.self]
    )

    struct StreamsCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "streams",
            abstract: "The streams receivers created, and the SETs of each.",
            subcommands: [StreamList.self, Sets.self]
        )
    }

    struct StreamList: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List every receiver's streams: status, push or poll, endpoint."
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "Only this receiver's streams.") var receiver: String?

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.streams(receiver: receiver)) { Views.streams($0, now: Output.now) }
            }
        }
    }

    struct Sets: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A stream's SETs, newest first: held, pending, delivered or failed, with push attempts.",
            discussion: """
                Example:
                  logoutd ssf streams sets 3kq0cJ7V…  --limit 20
                """
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The stream_id (one that starts with '-', made by an older release, goes after `--`).")
        var stream: String
        @Option(help: "How many, 1 to 1000.") var limit = 50

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.securityEvents(streamID: stream, limit: limit)) {
                    Views.securityEvents($0, now: Output.now)
                }
            }
        }
    }

    struct ReceiversCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "receivers",
            abstract: "Register, list and remove SSF receivers.",
            subcommands: [Add.self, List.self, Remove.self]
        )
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a receiver and print its bearer token (shown this once).",
            discussion: """
                The receiver finds our endpoints at /.well-known/ssf-configuration on the public
                listener and manages its streams there with `Authorization: Bearer <token>`.
                Only the token's hash is kept: a lost token means removing and adding the receiver.
                Example:
                  logoutd ssf receivers add siem
                """
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its name: lowercase letters, digits, '.', '-', '_'.") var name: String
        @Option(
            help: """
                A registered issuer whose OAuth access tokens (RFC 9068, client_id = the receiver's \
                name or --oauth-client-id, scope ssf.manage or ssf.read) may also manage the \
                receiver's streams.
                """
        ) var oauthIssuer: String?
        @Option(
            name: .customLong("oauth-client-id"),
            help: "The receiver's client_id at that issuer, when it is not its name."
        ) var oauthClientID: String?

        func run() async throws {
            try await admin.withClient { client in
                let created = try await client.createReceiver(
                    ReceiverRegistration(name: name, oauthIssuer: oauthIssuer, oauthClientID: oauthClientID)
                )
                admin.done(
                    created,
                    "SSF receiver \(created.name) registered; its bearer token (shown once):\n\(created.token)"
                )
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List the SSF receivers and how many streams each has."
        )
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.receivers()) { Views.receivers($0, now: Output.now) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a receiver: its token stops working and its streams are deleted."
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its name.") var name: String

        func run() async throws {
            try await admin.withClient { client in
                try await client.deleteReceiver(named: name)
                admin.done(["removed": name], "SSF receiver \(name) removed")
            }
        }
    }
}
