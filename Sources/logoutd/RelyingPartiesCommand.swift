import ArgumentParser
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct RelyingPartiesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rps",
        abstract: "Who logoutd notifies: relying parties and their back-channel logout URIs.",
        subcommands: [Add.self, List.self, Show.self, Update.self, Remove.self, Enable.self, Disable.self]
    )

    /// The RP's settings, for `add` (all) and `update` (the ones given).
    struct Settings: ParsableArguments {
        @Option(name: .customLong("uri"), help: "Its backchannel_logout_uri.") var backchannelLogoutURI: String?
        @Option(help: "ES256 (default), RS256, EdDSA or HS256.") var alg: SigningAlgorithm?
        @Option(help: "A file holding its client secret, for HS256.") var clientSecretFile: String?
        @Option(help: "The iss of the tokens it receives (default: logoutd's issuer).") var tokenIssuer: String?
        @Option(help: "registered (default) or all.") var subjects: RelyingParty.Subjects?
        @Option(name: .customLong("follow-issuer"), help: "With --subjects all: an issuer name it follows.")
        var issuers: [String] = []
        @Option(help: "true or false: it needs a sid in every token.") var sessionRequired: Bool?
        @Option(help: "true or false: plain http is allowed for its URIs.") var allowHTTP: Bool?
        @Option(
            name: .customLong("post-logout-redirect-uri"),
            help: "Where /end-session may send the browser back (repeat for several; replaces the list)."
        )
        var postLogoutRedirectURIs: [String] = []
        @Option(help: "Its front-channel logout URI, loaded in a hidden iframe by /end-session.")
        var frontchannelLogoutURI: String?
        @Option(help: "true or false: its front-channel URI needs iss and sid.")
        var frontchannelSessionRequired: Bool?

        func registration(clientID: String?) throws -> RelyingPartyRegistration {
            var change = RelyingPartyRegistration()
            if let clientID { change.clientID = .value(clientID) }
            if let backchannelLogoutURI { change.backchannelLogoutURI = .value(backchannelLogoutURI) }
            if alg != nil || clientSecretFile != nil {
                change.signing = .value(SigningSettings(alg: alg, clientSecret: try clientSecretFile.map(Files.secret)))
            }
            if let tokenIssuer { change.tokenIssuer = .value(tokenIssuer) }
            if let subjects { change.subjects = .value(subjects) }
            if !issuers.isEmpty { change.issuers = .value(issuers) }
            if let sessionRequired { change.sessionRequired = .value(sessionRequired) }
            if let allowHTTP { change.allowHTTP = .value(allowHTTP) }
            if !postLogoutRedirectURIs.isEmpty { change.postLogoutRedirectURIs = .value(postLogoutRedirectURIs) }
            if let frontchannelLogoutURI { change.frontchannelLogoutURI = .value(frontchannelLogoutURI) }
            if let frontchannelSessionRequired {
                change.frontchannelLogoutSessionRequired = .value(frontchannelSessionRequired)
            }
            return change
        }
    }

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an RP.",
            discussion: """
                Examples:
                  logoutd rps add shop --uri https://shop.example/backchannel-logout
                  logoutd rps add wiki --uri https://wiki.example/bcl --alg HS256 --client-secret-file wiki.secret \\
                      --token-issuer https://idp.example
                """
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String
        @OptionGroup var settings: Settings

        func run() async throws {
            let registration = try settings.registration(clientID: clientID)
            try await admin.withClient { client in
                let created = try await client.createRelyingParty(registration)
                admin.done(created, "RP \(created.clientID) registered")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the RPs.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.relyingParties(), table: Views.relyingParties)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one RP.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.relyingParty(clientID: clientID), table: Views.relyingParty)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Change an RP: the settings given replace the stored ones.",
            discussion: "Example:\n  logoutd rps update shop --uri https://shop.example/logout/backchannel"
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String
        @OptionGroup var settings: Settings

        func run() async throws {
            let change = try settings.registration(clientID: nil)
            try await admin.withClient { client in
                let updated = try await client.updateRelyingParty(clientID: clientID, change)
                admin.done(updated, "RP \(updated.clientID) updated")
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove an RP: its sessions go, its waiting deliveries end failed."
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String

        func run() async throws {
            try await admin.withClient { client in
                try await client.deleteRelyingParty(clientID: clientID)
                admin.done(["removed": clientID], "RP \(clientID) removed")
            }
        }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Deliver to an RP again.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String

        func run() async throws { try await setEnabled(true, clientID: clientID, admin: admin) }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop delivering to an RP: its deliveries are recorded as skipped, with the reason.",
            discussion: "Resend them later with: logoutd deliveries recover --client-id ID --since TIME"
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its client_id.") var clientID: String

        func run() async throws { try await setEnabled(false, clientID: clientID, admin: admin) }
    }

    static func setEnabled(_ enabled: Bool, clientID: String, admin: AdminOptions) async throws {
        var change = RelyingPartyRegistration()
        change.enabled = .value(enabled)
        try await admin.withClient { client in
            let updated = try await client.updateRelyingParty(clientID: clientID, change)
            admin.done(updated, "RP \(clientID) \(enabled ? "enabled" : "disabled")")
        }
    }
}
