import ArgumentParser
import Foundation
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct IssuersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "issuers",
        abstract: "Who may notify logoutd: OpenID providers (by their keys) and apps (by a shared secret).",
        subcommands: [Add.self, Update.self, List.self, Show.self, Remove.self]
    )

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an issuer.",
            discussion: """
                Examples:
                  logoutd issuers add --name idp --issuer https://idp.example --audience logoutd \\
                      --jwks-uri https://idp.example/jwks
                  logoutd issuers add --name app1 --issuer https://app1.example --audience logoutd \\
                      --shared-secret-file app1.secret
                """
        )

        @OptionGroup var admin: AdminOptions
        @Option(help: "A slug: lowercase letters, digits, '.', '-', '_'.") var name: String
        @Option(help: "The exact iss of its tokens.") var issuer: String
        @Option(help: "The aud its tokens must carry.") var audience: String
        @Option(name: .customLong("jwks-uri"), help: "Where its keys are published.") var jwksURI: String?
        @Option(help: "A file holding its JWKS (inline keys).") var jwksFile: String?
        @Option(help: "A file holding the app's shared secret (HS256, at least 32 bytes).") var sharedSecretFile:
            String?
        @Option(help: "An allowed alg (repeat for several).") var algorithm: [String] = []
        @Option(help: "default, strict or legacy (see docs/api.md).") var typPolicy: TypPolicy?
        @Flag(help: "Accept tokens without exp (legacy IdPs).") var noRequireExp = false
        @Option(help: "Its own end-session endpoint: /end-session sends the browser there next.")
        var endSessionEndpoint: String?
        @Option(help: "Its RFC 7009 revocation endpoint.") var revocationEndpoint: String?
        @Option(name: .customLong("client-id"), help: "Our client_id at this IdP.") var clientID: String?
        @Option(help: "A file holding our client secret at this IdP.") var clientSecretFile: String?
        @Flag(help: "Take its OP's front-channel logouts at /frontchannel-logout/NAME (off by default).")
        var frontchannelIntake = false

        func run() async throws {
            var registration = IssuerRegistration(name: name, issuer: issuer, audience: audience, jwksURI: jwksURI)
            if let jwksFile { registration.jwks = try Files.json(jwksFile) }
            if let sharedSecretFile { registration.sharedSecret = try Files.secret(sharedSecretFile) }
            registration.algorithms = algorithm.isEmpty ? nil : algorithm
            registration.typPolicy = typPolicy
            registration.requireExp = noRequireExp ? false : nil
            registration.endSessionEndpoint = endSessionEndpoint
            registration.revocationEndpoint = revocationEndpoint
            registration.clientID = clientID
            registration.clientSecret = try clientSecretFile.map(Files.secret)
            registration.frontchannelIntake = frontchannelIntake ? true : nil
            try await admin.withClient { client in
                let created = try await client.createIssuer(registration)
                admin.done(created, "issuer \(created.name) registered (\(created.keySource))")
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Change an issuer's end-session, revocation, front-channel and Shared Signals settings; its sessions stay.",
            discussion: """
                Examples (then `logoutd revocations retry ID` for what failed):
                  logoutd issuers update idp --client-secret-file new.secret
                  logoutd issuers update idp --ssf-configuration-url https://idp.example/.well-known/ssf-configuration \\
                      --ssf-token-file ssf.token --ssf-delivery poll
                  logoutd issuers update idp --no-ssf
                  logoutd issuers update llng --frontchannel-intake
                Then `logoutd issuers show idp` shows the stream's state and last error.
                """
        )
        @OptionGroup var admin: AdminOptions
        @Argument(help: "Its name.") var name: String
        @Option(help: "Its own end-session endpoint.") var endSessionEndpoint: String?
        @Option(help: "Its RFC 7009 revocation endpoint.") var revocationEndpoint: String?
        @Option(name: .customLong("client-id"), help: "Our client_id at this IdP.") var clientID: String?
        @Option(help: "A file holding our client secret at this IdP.") var clientSecretFile: String?
        @Option(
            name: .customLong("ssf-configuration-url"),
            help: "Its SSF transmitter's /.well-known/ssf-configuration: our stream there is created."
        ) var ssfConfigurationURL: String?
        @Option(help: "A file holding our bearer token at its SSF transmitter.") var ssfTokenFile: String?
        @Option(help: "push (to our /ssf/push/NAME) or poll (the default).") var ssfDelivery: String?
        @Flag(help: "Delete our stream at its SSF transmitter and forget it.") var noSsf = false
        @Flag(
            inversion: .prefixedNo,
            help: "Take (or stop taking) its OP's front-channel logouts at /frontchannel-logout/NAME."
        ) var frontchannelIntake: Bool?

        func validate() throws {
            if noSsf && (ssfConfigurationURL != nil || ssfTokenFile != nil || ssfDelivery != nil) {
                throw ValidationError("--no-ssf removes the stream; give no other --ssf-… option with it")
            }
        }

        func run() async throws {
            var change = IssuerChange()
            if let endSessionEndpoint { change.endSessionEndpoint = .value(endSessionEndpoint) }
            if let revocationEndpoint { change.revocationEndpoint = .value(revocationEndpoint) }
            if let clientID { change.clientID = .value(clientID) }
            if let clientSecretFile { change.clientSecret = .value(try Files.secret(clientSecretFile)) }
            if let ssfConfigurationURL { change.ssfConfigurationURL = .value(ssfConfigurationURL) }
            if let ssfTokenFile { change.ssfToken = .value(try Files.secret(ssfTokenFile)) }
            if let ssfDelivery { change.ssfDelivery = .value(ssfDelivery) }
            if noSsf { change.ssfConfigurationURL = .null }
            change.frontchannelIntake = frontchannelIntake
            try await admin.withClient { client in
                let updated = try await client.updateIssuer(named: name, change)
                admin.done(updated, "issuer \(updated.name) updated")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the registered issuers.")
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in admin.show(try await client.issuers(), table: Views.issuers) }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show one issuer.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The issuer's name.") var name: String

        func run() async throws {
            try await admin.withClient { client in
                let issuer = try await client.issuer(named: name)
                admin.show(issuer, table: Views.issuer)
            }
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove an issuer and its sessions.")
        @OptionGroup var admin: AdminOptions
        @Argument(help: "The issuer's name.") var name: String

        func run() async throws {
            try await admin.withClient { client in
                try await client.deleteIssuer(named: name)
                admin.done(["removed": name], "issuer \(name) removed")
            }
        }
    }
}

extension TypPolicy: ExpressibleByArgument {}
extension SigningAlgorithm: ExpressibleByArgument {}
extension RelyingParty.Subjects: ExpressibleByArgument {}
extension DeliveryStatus: ExpressibleByArgument {}
extension EventRecord.Outcome: ExpressibleByArgument {}

/// Secrets and documents come from files, never from the command line (where `ps` shows them).
enum Files {
    static func secret(_ path: String) throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CLIFailure(message: "cannot read \(path)", status: 1)
        }
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func json(_ path: String) throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: path),
            let value = try? StrictJSONParser.parse([UInt8](data))
        else {
            throw CLIFailure(message: "\(path) is not a readable JSON document", status: 1)
        }
        return value
    }
}
