import Foundation
import LogoutCore
import Synchronization
import TestSupport
import Testing

@testable import LogoutDelivery

/// DEL-8: the SSRF guard, with DNS answered by the test.
@Suite struct GuardedHTTPClientsTests {
    /// A resolver that answers every name with `address` and counts the questions.
    final class FakeDNS: Sendable {
        let questions = Mutex<[String]>([])
        let address: AddressResolver.Address

        init(_ address: AddressResolver.Address) { self.address = address }

        var resolve: GuardedHTTPClients.Resolve {
            { host in
                self.questions.withLock { $0.append(host) }
                return [self.address]
            }
        }
    }

    /// A public-looking name whose DNS answer is loopback (rebinding): refused, never connected.
    @Test func aNameResolvingToLoopbackIsRefused() async throws {
        let rp = try await TestServer.start()
        let port = URL(string: rp.url)!.port!
        let dns = FakeDNS(.v4([127, 0, 0, 1]))
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: false), resolve: dns.resolve)
        let result = await DeliverySender(clients: clients)
            .send(token: "a.b.c", to: "http://rp.example.com:\(port)/bcl", timeout: .seconds(30))
        guard case .transportFailure(.blocked, let detail) = result else {
            Issue.record("not refused: \(result)")
            await clients.shutdown()
            return
        }
        #expect(detail.contains("127.0.0.1") && detail.contains("loopback"))
        #expect(rp.received.isEmpty)
        await clients.shutdown()
    }

    /// The URL is parsed once for all its attempts, its address is not: every attempt asks the
    /// guard again, and a name the guard refused is refused again (DEL-8).
    @Test func everyAttemptToAParsedURLIsCheckedAgain() async throws {
        let dns = FakeDNS(.v4([10, 0, 0, 7]))
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: false), resolve: dns.resolve)
        let sender = DeliverySender(clients: clients)
        for _ in 0..<3 {
            let result = await sender.send(token: "a.b.c", to: "http://rp.example.com/bcl", timeout: .seconds(30))
            guard case .transportFailure(.blocked, let detail) = result else {
                Issue.record("not refused: \(result)")
                break
            }
            #expect(detail.contains("10.0.0.7"))
        }
        #expect(dns.questions.withLock { $0 } == Array(repeating: "rp.example.com", count: 3))
        #expect(clients.endpoints.count == 1)
        await clients.shutdown()
    }

    /// One normalised host everywhere: case and a trailing dot do not make another path.
    @Test func oneHostOneCheckedClient() async throws {
        let dns = FakeDNS(.v4([93, 184, 216, 34]))
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: false), resolve: dns.resolve)
        let first = try await clients.client(for: URL(string: "https://RP.Example.COM./bcl")!)
        let second = try await clients.client(for: URL(string: "https://rp.example.com/other")!)
        #expect(first === second)
        #expect(dns.questions.withLock { $0 } == ["rp.example.com"])
        #expect(GuardedHTTPClients.normalizedHost("[::1]") == "::1")
        await clients.shutdown()
    }

    @Test func theCacheOfPinnedClientsIsBounded() async throws {
        let dns = FakeDNS(.v4([93, 184, 216, 34]))
        let clients = GuardedHTTPClients(
            configuration: .init(allowPrivateNetworks: false, maximumHosts: 2),
            resolve: dns.resolve
        )
        for index in 0..<5 {
            _ = try await clients.client(for: URL(string: "https://rp\(index).example.com/bcl")!)
        }
        #expect(clients.cachedHosts == 2)
        await clients.shutdown()
    }
}
