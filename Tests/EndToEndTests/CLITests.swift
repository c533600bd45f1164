import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// The admin CLI (contract C1), run as an operator runs it, against a running daemon.
@Suite(.serialized) struct CLITests {
    struct Run {
        let status: Int32
        let output: String
        let errors: String
        var json: JSONValue { (try? StrictJSONParser.parse(Array(output.utf8))) ?? .null }
    }

    static func run(_ arguments: [String], environment: [String: String] = [:]) async throws -> Run {
        var variables = ProcessInfo.processInfo.environment.filter { !$0.key.hasPrefix("LOGOUTD_") }
        for (name, value) in environment { variables[name] = value }
        let child = try await ChildProcess.run(DaemonProcess.binary, arguments, environment: variables)
        return Run(status: child.status, output: child.output, errors: child.errors)
    }

    @Test func everyCommandsHappyPathAndItsJSON() async throws {
        let rp = try await TestServer.start()
        let daemon = try DaemonProcess()
        try await daemon.start()
        let config = ["--config", daemon.configPath]
        let secret = daemon.folder.file("app.secret")
        try "app-shared-secret-of-at-least-32-bytes".write(toFile: secret, atomically: true, encoding: .utf8)

        var run = try await Self.run(
            [
                "issuers", "add", "--name", "app", "--issuer", "https://app.example", "--audience", "logoutd",
                "--shared-secret-file", secret,
            ] + config
        )
        #expect(run.status == 0 && run.output.contains("issuer app registered"), "\(run.errors)")
        run = try await Self.run(["issuers", "list", "--json"] + config)
        #expect(run.json["issuers"]?.arrayValue?.first?["key_source"] == "shared_secret")
        #expect(!run.output.contains("app-shared-secret"))
        run = try await Self.run(["rps", "add", "shop", "--uri", rp.url + "/bcl"] + config)
        #expect(run.status == 0, "\(run.errors)")
        run = try await Self.run(["rps", "show", "shop"] + config)
        #expect(run.output.contains("backchannel_logout_uri") && run.output.contains(rp.url + "/bcl"))
        run = try await Self.run(
            [
                "sessions", "add", "--issuer", "https://app.example", "--sub", "42", "--client-id", "shop",
                "--rp-sub", "shop-42", "--json",
            ] + config
        )
        #expect(run.json["rp_sub"] == "shop-42" && run.json["issuer_name"] == "app", "\(run.output)")
        run = try await Self.run(["sessions", "list"] + config)
        #expect(run.output.contains("shop-42") && run.output.contains("live"))

        // The tour's token: minted by the CLI, accepted on the app's own route, delivered.
        run = try await Self.run(["token", "--sub", "42", "--aud", "logoutd", "--secret-file", secret])
        let token = run.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(try await daemon.postLogout(token, path: "/backchannel-logout/app").status == .ok)
        #expect(await eventually { rp.received.count == 1 })

        run = try await Self.run(["events", "list", "--json"] + config)
        let event = try #require(run.json["events"]?.arrayValue?.first)
        #expect(event["outcome"] == "accepted" && event["source"] == "app")
        #expect(
            await eventually {
                let list = try? await Self.run(["deliveries", "list", "--status", "delivered", "--json"] + config)
                return list?.json["deliveries"]?.arrayValue?.count == 1
            }
        )
        run = try await Self.run(["deliveries", "list"] + config)
        #expect(run.output.contains("delivered") && run.output.contains("shop") && !run.output.contains("\u{1B}["))
        run = try await Self.run(["deliveries", "show", "1", "--json"] + config)
        #expect(run.json["attempt_log"]?.arrayValue?.count == 1 && run.json["in_flight_since"] == .null)
        run = try await Self.run(["deliveries", "retry", "1"] + config)
        #expect(run.status == 7, "a delivered delivery cannot be retried: \(run.errors)")
        run = try await Self.run(["deliveries", "recover", "--client-id", "shop", "--json"] + config)
        #expect(run.json["queued"] == 0)
        run = try await Self.run(["logout", "--issuer", "app", "--sub", "42", "--json"] + config)
        #expect(run.json["event_id"]?.numberValue != nil, "\(run.errors)")
        run = try await Self.run(["rps", "disable", "shop"] + config)
        #expect(run.output.contains("disabled"))
        run = try await Self.run(["rps", "list", "--json"] + config)
        #expect(run.json["rps"]?.arrayValue?.first?["enabled"] == false)
        run = try await Self.run(["rps", "enable", "shop"] + config)
        run = try await Self.run(
            ["rps", "update", "shop", "--token-issuer", "https://other.example", "--json"] + config
        )
        #expect(run.json["token_issuer"] == "https://other.example")
        run = try await Self.run(["keys", "list", "--json"] + config)
        #expect(run.json["keys"]?.arrayValue?.count == 3)
        run = try await Self.run(["sessions", "remove", "1"] + config)
        #expect(run.status == 0)

        // SSF receivers (contract C7): the token printed once works on the public listener.
        run = try await Self.run(["ssf", "receivers", "add", "siem", "--json"] + config)
        let receiverToken = try #require(run.json["token"]?.stringValue, "\(run.errors)")
        #expect(run.json["name"] == "siem")
        run = try await Self.run(["ssf", "receivers", "list"] + config)
        #expect(run.output.contains("siem") && !run.output.contains(receiverToken))
        let streams = try await daemon.request(
            daemon.publicURL + "/ssf/streams",
            method: .POST,
            headers: [("Authorization", "Bearer " + receiverToken), ("Content-Type", "application/json")],
            body: "{}"
        )
        #expect(streams.status == .created)
        run = try await Self.run(["ssf", "receivers", "list", "--json"] + config)
        #expect(run.json["receivers"]?.arrayValue?.first?["streams"] == 1)
        let streamID = try #require(streams.json["stream_id"]?.stringValue)
        run = try await Self.run(["ssf", "streams", "list"] + config)
        #expect(run.output.contains(streamID) && run.output.contains("poll"), "\(run.output)")
        run = try await Self.run(["ssf", "streams", "list", "--receiver", "nobody", "--json"] + config)
        #expect(run.json["streams"] == .array([]))
        run = try await Self.run(["ssf", "streams", "sets", streamID, "--json"] + config)
        // The earlier logouts may still be fanned out to the new stream: the SETs are listed, whatever they are.
        #expect(
            run.json["stream_id"]?.stringValue == streamID && run.json["sets"]?.arrayValue != nil,
            "\(run.output) \(run.errors)"
        )
        run = try await Self.run(["ssf", "streams", "sets", "no-such-stream"] + config)
        #expect(run.status != 0, "an unknown stream listed: \(run.output)")
        run = try await Self.run(["ssf", "receivers", "add", "siem"] + config)
        #expect(run.status == 7, "a taken name is a conflict: \(run.errors)")
        run = try await Self.run(["ssf", "receivers", "remove", "siem"] + config)
        #expect(run.status == 0)
        let refused = try await daemon.request(
            daemon.publicURL + "/ssf/streams",
            method: .GET,
            headers: [("Authorization", "Bearer " + receiverToken)],
            body: nil
        )
        #expect(refused.status == .unauthorized)
        run = try await Self.run(["rps", "remove", "shop"] + config)
        #expect(run.status == 0)
        run = try await Self.run(["issuers", "remove", "app"] + config)
        #expect(run.status == 0)
        await daemon.stop()
        await rp.stop()
    }

    @Test func errorsSayWhatIsWrongWithTheirExitStatus() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let config = ["--config", daemon.configPath]
        // Unknown id: 5.
        var run = try await Self.run(["events", "show", "99"] + config)
        #expect(run.status == 5 && run.errors.contains("no event with id 99"))
        // A validation error names the field: 6.
        run = try await Self.run(["rps", "add", "x", "--uri", "ftp://x.example/"] + config)
        #expect(run.status == 6 && run.errors.contains("backchannel_logout_uri"), "\(run.errors)")
        // A wrong token: 4, saying where it was read from.
        let wrong = daemon.folder.file("wrong-token")
        try "not-the-admin-token-at-all".write(toFile: wrong, atomically: true, encoding: .utf8)
        run = try await Self.run(["events", "list", "--admin-url", daemon.adminURL, "--token-file", wrong])
        #expect(run.status == 4 && run.errors.contains(wrong))
        await daemon.stop()
        // No daemon: 3.
        run = try await Self.run(["events", "list"] + config)
        #expect(run.status == 3 && run.errors.contains("is logoutd running?"), "\(run.errors)")
        // A bad command line: ArgumentParser's 64.
        run = try await Self.run(["deliveries", "list", "--status", "bogus"] + config)
        #expect(run.status == 64)
    }

    @Test func theDevRPPrintsAndVerifiesWhatItReceives() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let port = freeLoopbackPort()
        let devRP = Process()
        devRP.executableURL = URL(fileURLWithPath: DaemonProcess.binary)
        devRP.arguments = [
            "dev-rp", "--port", String(port), "--client-id", "shop", "--jwks-uri",
            daemon.publicURL + "/.well-known/jwks.json",
        ]
        let output = Pipe()
        devRP.standardOutput = output
        devRP.standardError = Pipe()
        try devRP.run()
        let config = ["--config", daemon.configPath]
        _ = try await Self.run(["rps", "add", "shop", "--uri", "http://127.0.0.1:\(port)/logout"] + config)
        let key = TokenForge.newES256(kid: "k")
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/issuers",
            ["name": "idp", "issuer": "https://idp.example", "audience": "logoutd", "jwks": try TokenForge.jwks([key])]
        )
        _ = try await Self.run(["sessions", "add", "--issuer", "idp", "--sub", "u", "--client-id", "shop"] + config)
        _ = await eventually { (try? await daemon.get("http://127.0.0.1:\(port)/")) != nil }
        let run = try await Self.run(["logout", "--issuer", "idp", "--sub", "u"] + config)
        #expect(run.status == 0)
        #expect(
            await eventually {
                (try? await daemon.admin(.GET, "/admin/v1/deliveries?status=delivered").json["deliveries"]?.arrayValue?
                    .count) == 1
            }
        )
        devRP.terminate()
        devRP.waitUntilExit()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(
            printed.contains("VALID alg=ES256") && printed.contains("aud=shop") && printed.contains("sub=u"),
            "\(printed)"
        )
        await daemon.stop()
    }
}
