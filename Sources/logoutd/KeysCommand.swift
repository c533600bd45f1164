import ArgumentParser
import Foundation
import LogoutAdminAPI
import LogoutAdminClient
import LogoutCore

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Our signing keys: which one signs, which are published at the JWKS URI, and rotation.",
        subcommands: [List.self, Rotate.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List our signing keys and where each stands in its rotation.",
            discussion: """
                STATE is next (published, not signing yet), active (signs), retiring (published so
                tokens it signed keep verifying) or retired.
                """
        )
        @OptionGroup var admin: AdminOptions

        func run() async throws {
            try await admin.withClient { client in
                admin.show(try await client.signingKeys()) { Views.keys($0.keys, now: Output.now) }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Publish a new signing key now; it signs after keys.rotation_overlap.",
            discussion: """
                The new key is published at the JWKS URI at once and signs only after the overlap
                (24 h by default), so RPs that cache our keys fetch it before they meet it. The
                replaced key stays published for the overlap after the switch, then retires.
                Examples:
                  logoutd keys rotate
                  logoutd keys rotate --alg ES256
                  logoutd keys rotate --now     # emergency: signs at once (a pending key is promoted)
                """
        )
        @OptionGroup var admin: AdminOptions
        @Option(help: "Rotate one algorithm only: ES256, RS256 or EdDSA (default: all).") var alg: String?
        @Flag(help: "Sign with the new key at once. RPs that cached our JWKS reject tokens until they refetch it.")
        var now = false

        func run() async throws {
            var request = KeyRotationRequest(now: now ? true : nil)
            if let alg {
                guard let algorithm = SigningAlgorithm(rawValue: alg) else {
                    throw CLIFailure(message: "--alg must be ES256, RS256 or EdDSA", status: 64).exit()
                }
                request.alg = algorithm
            }
            try await admin.withClient { client in
                let rotation = try await client.rotateSigningKeys(request)
                if let warning = rotation.warning {
                    FileHandle.standardError.write(Data(("warning: " + warning + "\n").utf8))
                }
                admin.show(rotation) { Views.keys($0.keys, now: Output.now) }
            }
        }
    }
}
