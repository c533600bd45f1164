import ArgumentParser
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct DeliveriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliveries",
        abstract: "Every delivery of every logout to every RP, with each attempt; redelivery.",
        subcommands: [List.self, Show.self, Retry.self, Recover.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List deliveries, newest first.",
            discussion: """
                Examples:
                  logoutd deliveries list --status failed
                  logoutd deliveries list --client-id shop --follow
                """
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "pending, retrying, delivered, failed or skipped.") var status: DeliveryStatus?
        @Option(help: "One RP.") var clientID: String?
        @Option(help: "One event.") var eventID: Int64?
        @Option(help: "At most this many (1-1000).") var limit = 50
        @Flag(help: "Keep printing new deliveries as they are created (Ctrl-C to stop).") var follow = false

        func run() async throws {
            try await admin.withClient { client in
                let query = DeliveryQuery(status: status, clientID: clientID, eventID: eventID, limit: limit)
                let list = try await client.deliveries(query)
                admin.show(list) { Views.deliveries($0, now: Output.now) }
                guard follow else { return }
                var last = list.deliveries.map(\.id).max() ?? 0
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    var next = query
                    next.afterID = last
                    next.limit = 1000
                    let fresh = try await client.deliveries(next).deliveries.sorted { $0.id < $1.id }
                    for delivery in fresh {
                        if admin.json {
                            admin.show(delivery) { _ in Table([]) }
                        } else {
                            var table = Table(Views.deliveries(DeliveryList(deliveries: []), now: Output.now).columns)
                            table.add(Views.deliveryRow(delivery, now: Output.now))
                            print(table.render(colors: Output.colors).split(separator: "\n").dropFirst().joined())
                        }
                        last = max(last, delivery.id)
                    }
                }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one delivery with its attempt log.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its id.") var id: Int64

        func run() async throws {
            try await admin.withClient { client in
                let delivery = try await client.delivery(id: id)
                if admin.json {
                    admin.show(delivery) { _ in Table([]) }
                    return
                }
                print(
                    Views.deliveries(DeliveryList(deliveries: [delivery]), now: Output.now).render(
                        colors: Output.colors
                    )
                )
                print("")
                print(Views.attempts(delivery).render(colors: Output.colors))
            }
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue a failed or skipped delivery again, with a fresh token."
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its id.") var id: Int64

        func run() async throws {
            try await admin.withClient { client in
                let queued = try await client.retryDelivery(id: id)
                admin.done(queued, "delivery \(id) queued again")
            }
        }
    }

    struct Recover: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Queue again every failed delivery of an RP since a time (after an outage).",
            discussion: "Example:\n  logoutd deliveries recover --client-id shop --since 2026-11-25T08:00:00Z"
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "The RP.") var clientID: String
        @Option(help: "Created since (RFC 3339); default: all.") var since: String?

        func run() async throws {
            var request = RecoveryRequest(clientID: clientID)
            if let since {
                guard let instant = Timestamp(rfc3339: since) else {
                    throw CLIFailure(message: "--since must be an RFC 3339 time", status: 2).exit()
                }
                request.since = instant
            }
            try await admin.withClient { client in
                let queued = try await client.recoverDeliveries(request)
                admin.done(queued, "\(queued.queued) deliveries queued again")
            }
        }
    }
}
