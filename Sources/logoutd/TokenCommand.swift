import ArgumentParser
import Foundation
import LogoutCore
import LogoutJWT

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint an HS256 app token (Logora-style), for trying logoutd and for apps' tests.",
        discussion: """
            Signs {"sub", "aud", "iat", "jti"} (and "iss" when given) with the app's shared secret, as
            a generic JWT library would (typ JWT). Post it to the app's own route:
              logoutd token --sub 42 --aud logoutd --secret-file app1.secret > token
              curl -d "logout_token=$(cat token)" http://127.0.0.1:8080/backchannel-logout/app1
            """
    )

    @Option(help: "The iss claim (optional on the app's own route).") var issuerURL: String?
    @Option(help: "The user id as the app knows it.") var sub: String
    @Option(help: "The audience registered for the app (its issuer's audience).") var aud: String
    @Option(help: "The file holding the app's shared secret.") var secretFile: String
    @Flag(help: "Leave jti out (the replay key is then the token's signed content).") var noJti = false

    func run() async throws {
        let secret = try Files.secret(secretFile)
        guard secret.utf8.count >= 32 else {
            throw CLIFailure(message: "the secret in \(secretFile) is shorter than 32 bytes", status: 1).exit()
        }
        print(
            AppToken.mint(
                subject: sub,
                audience: aud,
                issuer: issuerURL,
                secret: Array(secret.utf8),
                now: Timestamp(Date()),
                jti: noJti ? nil : Digests.randomIdentifier()
            )
        )
    }
}
