import ArgumentParser
import AsyncHTTPClient
import Foundation
import Hummingbird
import LogoutCore
import LogoutJWT
import NIOCore

struct DevRPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev-rp",
        abstract: "A relying party on loopback that prints and verifies the logout tokens it receives.",
        discussion: """
            For trying logoutd and for debugging an RP's settings: every POST is answered (200 by
            default, or --status), and its logout_token is checked as an RP would — signature with
            logoutd's published keys (or --secret-file for HS256), typ, events, aud, iat/exp — and
            printed on one line.
              logoutd dev-rp --port 9000 --client-id shop
              logoutd dev-rp --port 9001 --status 503     # an RP that is down, for the retry log
            """
    )

    @Option(help: "Port on 127.0.0.1.") var port = 9000
    @Option(name: .customLong("jwks-uri"), help: "Where logoutd publishes its keys.")
    var jwksURI = "http://127.0.0.1:8080/.well-known/jwks.json"
    @Option(help: "For HS256: the RP's client secret file.") var secretFile: String?
    @Option(help: "The aud the tokens must carry (the RP's client_id).") var clientID: String?
    @Option(help: "The HTTP status to answer.") var status = 200

    func run() async throws {
        let secret = try secretFile.map(Files.secret).map { Array($0.utf8) }
        let checker = DevRPChecker(jwksURI: jwksURI, secret: secret, clientID: clientID)
        let answer = HTTPResponse.Status(code: status)
        let router = Router()
        router.post("**") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 64 * 1024)
            let line = await checker.describe(body: Array(body.readableBytesView), path: request.uri.path)
            FileHandle.standardOutput.write(Data((line + "\n").utf8))
            return Response(status: answer)
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: nil)
        )
        let source = secret == nil ? jwksURI : "the secret file"
        FileHandle.standardOutput.write(
            Data("dev-rp listening on http://127.0.0.1:\(port)/ (answers \(status)); keys from \(source)\n".utf8)
        )
        try await app.runService()
        await checker.shutdown()
    }
}

/// Checks a received logout token the way an RP does, and says what it found.
actor DevRPChecker {
    let jwksURI: String
    let secret: [UInt8]?
    let clientID: String?
    let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup)

    init(jwksURI: String, secret: [UInt8]?, clientID: String?) {
        self.jwksURI = jwksURI
        self.secret = secret
        self.clientID = clientID
    }

    func shutdown() async {
        try? await http.shutdown()
    }

    func describe(body: [UInt8], path: String) async -> String {
        let time = Timestamp(Date()).rfc3339
        guard let form = FormBody(body), let token = form.values(named: "logout_token").first else {
            return "\(time) POST \(path): no logout_token in the body"
        }
        guard let jws = try? CompactJWS.parse(token) else { return "\(time) POST \(path): not a compact JWS" }
        let claims = jws.payload
        var problems: [String] = []
        if jws.header["typ"]?.stringValue?.lowercased() != "logout+jwt" { problems.append("typ is not logout+jwt") }
        if claims["events"]?[LogoutClaims.backchannelLogoutEvent] == nil { problems.append("no back-channel event") }
        if claims["nonce"] != nil { problems.append("has a nonce") }
        if let clientID, claims["aud"]?.stringValue != clientID { problems.append("aud is not \(clientID)") }
        if let exp = claims["exp"]?.numberValue, exp < Timestamp(Date()).secondsSince1970 { problems.append("expired") }
        problems += await signatureProblems(jws)
        let fields = ["iss", "aud", "sub", "sid", "jti", "txn"].compactMap { name in
            claims[name]?.stringValue.map { "\(name)=\(SafeText.printable($0, limit: 80))" }
        }
        let verdict = problems.isEmpty ? "VALID" : "INVALID (" + problems.joined(separator: "; ") + ")"
        return "\(time) POST \(path) \(verdict) alg=\(jws.header["alg"]?.stringValue ?? "-") "
            + fields.joined(separator: " ")
    }

    func signatureProblems(_ jws: CompactJWS) async -> [String] {
        guard let name = jws.header["alg"]?.stringValue, let algorithm = JWSAlgorithm(rawValue: name) else {
            return ["unknown alg"]
        }
        let header = CheckedHeader(algorithm: algorithm, keyID: jws.header["kid"]?.stringValue)
        if let secret {
            return JWSVerifier.verify(jws, header: header, sharedSecret: secret) == .valid
                ? [] : ["bad HS256 signature"]
        }
        do {
            let response = try await http.execute(HTTPClientRequest(url: jwksURI), timeout: .seconds(5))
            let keys = try JWKSet.parse(Array(try await response.body.collect(upTo: 1 << 20).readableBytesView))
            return JWSVerifier.verify(jws, header: header, keys: keys) == .valid ? [] : ["signature does not verify"]
        } catch {
            return ["cannot fetch \(jwksURI): \(error)"]
        }
    }
}
