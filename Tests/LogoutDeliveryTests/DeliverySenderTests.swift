import Foundation
import LogoutCore
import TestSupport
import Testing

@testable import LogoutDelivery

@Suite struct RPErrorTextTests {
    @Test(arguments: [
        (#"{"error":"invalid_request","error_description":"bad aud"}"#, "application/json", "invalid_request: bad aud"),
        (#"{"error":"invalid_request"}"#, "application/json", "invalid_request"),
        (
            """
            <!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01//EN">
            <html><head><title>400 Bad Request</title></head><body><h1>Bad Request</h1>
            <p>Your browser sent a request that this server could not understand.<br /></p></body></html>
            """, "text/html; charset=iso-8859-1",
            "400 Bad Request Bad Request Your browser sent a request that this server could not understand."
        ),
        ("plain\nerror\u{01}", "text/plain", "plain error?"),
    ])
    func extractsReadableErrors(body: String, contentType: String, expected: String) {
        #expect(RPErrorText.extract(from: Array(body.utf8), contentType: contentType) == expected)
    }

    @Test func emptyBodyHasNoError() {
        #expect(RPErrorText.extract(from: [], contentType: nil) == nil)
    }
}

@Suite struct DeliverySenderTests {
    @Test func readsAtMostFourKiBOfAnAnswer() async throws {
        let rp = try await TestServer.start { _, _ in
            Behavior(status: 500, body: String(repeating: "x", count: 1 << 20))
        }
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: true))
        let result = await DeliverySender(clients: clients).send(
            token: "a.b.c",
            to: rp.url + "/bcl",
            // Only a bound (what is read is the subject): a loaded machine took more than 5 s.
            timeout: .seconds(30)
        )
        guard case .response(let answer) = result else {
            Issue.record("no response: \(result)")
            await clients.shutdown()
            return
        }
        #expect(answer.status == 500 && (answer.rpError?.count ?? 0) <= 200)
        #expect(rp.received.first?.body == "logout_token=a.b.c")
        await clients.shutdown()
        await rp.stop()
    }

    /// A refused connection is classified by its errno, not its wording, and ends the attempt at
    /// once instead of the pool retrying the connect until the connect timeout.
    @Test func aClosedPortIsARefusedConnectionAtOnce() async throws {
        let clients = GuardedHTTPClients(
            configuration: .init(allowPrivateNetworks: true, connectTimeout: .seconds(120))
        )
        let started = ContinuousClock.now
        let result = await DeliverySender(clients: clients).send(
            token: "a.b.c",
            to: "http://127.0.0.1:\(freeLoopbackPort())/",
            timeout: .seconds(180)
        )
        // Retrying the connect would end in a connect timeout after 120 s, classified `timeout`;
        // the bound is far from it (a test process stalled by others' key generation took 24 s
        // to get here once).
        #expect(result == .transportFailure(.refused, detail: "connection refused"))
        #expect(started.duration(to: .now) < .seconds(60))
        await clients.shutdown()
    }

    /// One deadline covers the whole attempt: 1 s, against an RP that answers after 60 s; the
    /// bound sits far from both, for a loaded machine.
    @Test func aSlowRPEndsAtTheDeadline() async throws {
        let rp = try await TestServer.start { _, _ in Behavior(status: 200, body: "", delay: 60) }
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: true))
        let started = ContinuousClock.now
        let result = await DeliverySender(clients: clients).send(
            token: "a.b.c",
            to: rp.url + "/bcl",
            timeout: .seconds(1)
        )
        guard case .transportFailure(.timeout, _) = result else {
            Issue.record("not a timeout: \(result)")
            await clients.shutdown()
            return
        }
        #expect(started.duration(to: .now) < .seconds(30))
        await clients.shutdown()
        await rp.stop()
    }

    @Test(arguments: [
        "http://127.0.0.1:1/", "http://[::1]:1/", "http://localhost:1/", "http://169.254.169.254/latest/meta-data",
        "http://10.0.0.1/",
    ])
    func theGuardRefusesNonPublicTargets(url: String) async throws {
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: false))
        // Refused before any connection: the bound is only there so that a bug fails, not hangs.
        let result = await DeliverySender(clients: clients).send(token: "a.b.c", to: url, timeout: .seconds(30))
        guard case .transportFailure(.blocked, _) = result else {
            Issue.record("\(url) was not blocked: \(result)")
            await clients.shutdown()
            return
        }
        await clients.shutdown()
    }

    @Test func maxAgeFromCacheControl() {
        #expect(JWKSFetcher.maxAge("public, max-age=3600") == 3600)
        #expect(JWKSFetcher.maxAge("no-cache") == nil)
        #expect(JWKSFetcher.maxAge(nil) == nil)
    }
}
