import Foundation
import LogoutCore
import Testing

@testable import LogoutDelivery

/// What an attempt reads from its RP's URL, parsed once per URL: one row per shape of URL.
@Suite struct EndpointTests {
    @Test(arguments: [
        ("http://rp.example/bcl", "/bcl", "rp.example", 80, false),
        ("https://rp.example/bcl", "/bcl", "rp.example", 443, true),
        ("http://rp.example:80/", "/", "rp.example", 80, false),
        ("https://rp.example?q=1", "/?q=1", "rp.example", 443, true),
        ("http://[::1]:8080", "/", "[::1]:8080", 8080, false),
        ("http://[::1]/bcl", "/bcl", "[::1]", 80, false),
        // Registration takes the scheme in any case.
        ("HTTPS://rp.example/bcl", "/bcl", "rp.example", 443, true),
        // Host names compare without case or a final dot (as pinned addresses are keyed).
        ("https://RP.Example.:8443/bcl", "/bcl", "rp.example:8443", 8443, true),
        // The target as registered: decoded, `%2F` would name another resource and `%20` a
        // request line NIO refuses.
        ("https://rp.example/a%20b/%2F/c?x=%2F&y=%20", "/a%20b/%2F/c?x=%2F&y=%20", "rp.example", 443, true),
    ])
    func anEndpointHoldsWhatEveryAttemptReads(
        uri: String,
        target: String,
        hostHeader: String,
        port: Int,
        secure: Bool
    ) throws {
        let endpoint = try #require(Endpoint(uri))
        #expect(endpoint.target == target)
        #expect(endpoint.hostHeader == hostHeader)
        #expect(endpoint.port == port && endpoint.secure == secure)
        #expect(endpoint.url.absoluteString == uri)
    }

    @Test(arguments: ["ftp://rp.example/bcl", "mailto:rp@example.com", "/bcl", "", "rp.example/bcl"])
    func onlyHTTPAndHTTPSAreEndpoints(uri: String) {
        #expect(Endpoint(uri) == nil)
        #expect(Endpoints().endpoint(uri) == nil)
    }

    /// Two URLs that differ only in how a character is composed are two RPs' URLs: each keeps
    /// its own path, whichever was parsed first.
    @Test func urlsThatSwiftCallsEqualKeepTheirOwnEndpoints() throws {
        let composed = "http://rp.example/caf\u{e9}"
        let decomposed = "http://rp.example/cafe\u{301}"
        #expect(composed == decomposed)
        let endpoints = Endpoints()
        #expect(try #require(endpoints.endpoint(composed)).target == "/caf%C3%A9")
        #expect(try #require(endpoints.endpoint(decomposed)).target == "/cafe%CC%81")
        #expect(endpoints.count == 2)
    }

    /// Bounded: registrations come and go, and the URLs of the RPs removed must not pile up.
    @Test func theParsedURLsAreBounded() throws {
        let endpoints = Endpoints(capacity: 3)
        for index in 0..<10 {
            let endpoint = try #require(endpoints.endpoint("https://rp\(index).example/bcl"))
            #expect(endpoint.hostHeader == "rp\(index).example")
            #expect(endpoints.count <= 3)
        }
        #expect(endpoints.endpoint("https://rp9.example/bcl")?.hostHeader == "rp9.example")
    }

    /// Through the sender, to a real socket: the RP receives the path and query it registered,
    /// percent-encoding included, and the same endpoint serves the next attempt.
    @Test func anEncodedTargetReachesTheRPAsRegistered() async throws {
        let rp = try await CountingServer.start()
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: true))
        let sender = DeliverySender(clients: clients)
        let uri = "http://127.0.0.1:\(rp.port)/bcl%20x/%2F?n=%2F"
        for token in ["t1", "t2"] {
            let result = await sender.send(token: token, to: uri, timeout: .seconds(30))
            guard case .response(let answer) = result else {
                Issue.record("no response: \(result)")
                break
            }
            #expect(answer.status == 200)
        }
        #expect(rp.requests == ["/bcl%20x/%2F?n=%2F logout_token=t1", "/bcl%20x/%2F?n=%2F logout_token=t2"])
        await clients.shutdown()
        try await rp.stop()
    }
}
