import ArgumentParser
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "The registry: which subject has a session at which RP, under which ids.",
        subcommands: [Add.self, List.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a session.",
            discussion: """
                Example:
                  logoutd sessions add --issuer https://idp.example --sub 42 --sid s-1 --client-id shop \\
                      --rp-sub shop-user-42
                """
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "The iss (or name) of a registered issuer.") var issuer: String
        @Option(help: "The subject at that issuer.") var sub: String
        @Option(help: "The session id at that issuer.") var sid: String?
        @Option(help: "The RP.") var clientID: String
        @Option(help: "The subject as the RP knows it (default: --sub).") var rpSub: String?
        @Option(help: "The session id as the RP knows it.") var rpSid: String?
        @Flag(help: "The RP knows no session id: its tokens carry sub only.") var noRpSid = false
        @Option(help: "When the session ends by itself (RFC 3339).") var expiresAt: String?
        @Option(help: "A file holding the session's upstream ID token (sealed, never shown).") var idTokenFile: String?
        @Option(help: "A file holding its upstream access token, revoked when the session ends.")
        var accessTokenFile: String?
        @Option(help: "A file holding its upstream refresh token, revoked when the session ends.")
        var refreshTokenFile: String?

        func run() async throws {
            var registration = SessionRegistration(issuer: issuer, sub: sub, sid: sid, clientID: clientID, rpSub: rpSub)
            registration.rpSid = noRpSid ? .null : (rpSid.map { .value($0) } ?? .absent)
            // Files, not arguments: a token on the command line is visible to every user in `ps`.
            registration.idToken = try idTokenFile.map(Files.secret)
            registration.accessToken = try accessTokenFile.map(Files.secret)
            registration.refreshToken = try refreshTokenFile.map(Files.secret)
            if let expiresAt {
                guard let instant = Timestamp(rfc3339: expiresAt) else {
                    throw CLIFailure(message: "--expires-at must be an RFC 3339 time", status: 2).exit()
                }
                registration.expiresAt = instant
            }
            try await admin.withClient { client in
                let created = try await client.createSession(registration)
                admin.done(created, "session \(created.id) registered (rp_sid: \(created.rpSid ?? "none"))")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List live sessions.")
        @OptionGroup var admin: AdminOptions
        @Option(help: "An issuer's iss or name.") var issuer: String?
        @Option(help: "A subject.") var sub: String?
        @Option(help: "An RP.") var clientID: String?
        @Option(help: "At most this many (1-1000).") var limit = 100

        func run() async throws {
            try await admin.withClient { client in
                let list = try await client.sessions(
                    SessionQuery(issuer: issuer, sub: sub, clientID: clientID, limit: limit)
                )
                admin.show(list) { Views.sessions($0, now: Output.now) }
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a session.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its id.") var id: Int64

        func run() async throws {
            try await admin.withClient { client in
                try await client.deleteSession(id: id)
                admin.done(["removed": id], "session \(id) removed")
            }
        }
    }
}

struct EventsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "Every logout received: accepted, duplicate, rejected (with the rule) or deferred.",
        subcommands: [List.self, Show.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List events, newest first.",
            discussion:
                "Examples:\n  logoutd events list --outcome rejected\n  logoutd events list --issuer idp --sub 42"
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "accepted, duplicate, rejected or deferred.") var outcome: EventRecord.Outcome?
        @Option(help: "One issuer, by name or iss.") var issuer: String?
        @Option(help: "One subject at the issuer.") var sub: String?
        @Option(help: "At most this many (1-1000).") var limit = 50

        func run() async throws {
            try await admin.withClient { client in
                let list = try await client.events(EventQuery(outcome: outcome, issuer: issuer, sub: sub, limit: limit))
                admin.show(list) { Views.events($0, now: Output.now) }
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one event and its deliveries.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its id.") var id: Int64

        func run() async throws {
            try await admin.withClient { client in
                let event = try await client.event(id: id)
                if admin.json {
                    admin.show(event) { _ in Table([]) }
                    return
                }
                print(Views.events(EventList(events: [event]), now: Output.now).render(colors: Output.colors))
                // Where a tracing UI finds it (`tracing:` on when it was received).
                if let trace = event.traceID { print("trace \(trace)") }
                let deliveries = try await client.deliveries(DeliveryQuery(eventID: id, limit: 1000))
                if !deliveries.deliveries.isEmpty {
                    print("")
                    print(Views.deliveries(deliveries, now: Output.now).render(colors: Output.colors))
                }
            }
        }
    }
}

struct AdminLogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "logout",
        abstract: "Log a subject or a session out everywhere, as if its issuer had sent the token.",
        discussion: "Example:\n  logoutd logout --issuer idp --sub 42"
    )
    @OptionGroup var admin: AdminOptions
    @Option(help: "The issuer's name or iss.") var issuer: String
    @Option(help: "The subject.") var sub: String?
    @Option(help: "The session id.") var sid: String?

    func run() async throws {
        try await admin.withClient { client in
            let recorded = try await client.logout(LogoutCommand(issuer: issuer, sub: sub, sid: sid))
            admin.done(recorded, "logout recorded as event \(recorded.eventID)")
        }
    }
}
