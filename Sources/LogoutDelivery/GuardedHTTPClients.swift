import AsyncHTTPClient
import Foundation
import Logging
import LogoutCore
import NIOCore
import NIOPosix
import Synchronization

/// HTTP clients that only connect to addresses the SSRF guard has checked (DEL-8).
///
/// AsyncHTTPClient resolves host names itself, which would let DNS answer differently between our
/// check and its connect (rebinding). So each host is resolved here, every address is checked,
/// and the request goes through a client whose `dnsOverride` pins the host to the checked address:
/// TLS still verifies the certificate for the host name, and connections stay pooled per host.
/// With `allowPrivateNetworks` (development, tests) one shared client is used without checks.
public final class GuardedHTTPClients: Sendable {
    public struct Configuration: Sendable {
        public var allowPrivateNetworks: Bool
        public var connectTimeout: Double
        public var connectionsPerHost: Int
        /// How long a checked resolution is reused.
        public var resolutionTTL: Double

        public init(
            allowPrivateNetworks: Bool,
            connectTimeout: Double = 5,
            connectionsPerHost: Int = 8,
            resolutionTTL: Double = 30
        ) {
            self.allowPrivateNetworks = allowPrivateNetworks
            self.connectTimeout = connectTimeout
            self.connectionsPerHost = connectionsPerHost
            self.resolutionTTL = resolutionTTL
        }
    }

    public enum GuardError: Error, CustomStringConvertible {
        case refused(String)
        case resolution(String)
        case invalidURL(String)

        public var description: String {
            switch self {
            case .refused(let text), .resolution(let text), .invalidURL(let text): return text
            }
        }
    }

    private struct Pinned {
        let address: String
        let client: HTTPClient
        let resolvedAt: ContinuousClock.Instant
    }

    private let configuration: Configuration
    private let shared: HTTPClient
    private let pinned = Mutex<[String: Pinned]>([:])
    private let retired = Mutex<[HTTPClient]>([])
    private let resolver = AddressResolver()

    public init(configuration: Configuration) {
        self.configuration = configuration
        shared = Self.makeClient(configuration: configuration, dnsOverride: [:])
    }

    static func makeClient(configuration: Configuration, dnsOverride: [String: String]) -> HTTPClient {
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(Int64(configuration.connectTimeout * 1000))),
            connectionPool: .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost
            )
        )
        clientConfiguration.dnsOverride = dnsOverride
        clientConfiguration.httpVersion = .automatic
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
    }

    /// The client to use for `url`, after the address check.
    public func client(for url: URL) async throws -> HTTPClient {
        guard let host = url.host, !host.isEmpty else { throw GuardError.invalidURL("the URL has no host") }
        if configuration.allowPrivateNetworks { return shared }
        let key = host.lowercased()
        let now = ContinuousClock.now
        if let entry = pinned.withLock({ $0[key] }),
            entry.resolvedAt.duration(to: now) < .milliseconds(Int64(configuration.resolutionTTL * 1000))
        {
            return entry.client
        }
        let addresses: [AddressResolver.Address]
        do {
            addresses = try await resolver.resolve(host)
        } catch {
            throw GuardError.resolution(String(describing: error))
        }
        guard let first = addresses.first else { throw GuardError.resolution("\(host) has no address") }
        for address in addresses {
            let verdict: AddressPolicy.Verdict
            switch address {
            case .v4(let bytes): verdict = AddressPolicy.check(ipv4: bytes)
            case .v6(let bytes): verdict = AddressPolicy.check(ipv6: bytes)
            }
            if case .refused(let why) = verdict {
                throw GuardError.refused(
                    "\(host) resolves to \(address.text), a \(why); set delivery.allow_private_networks only for development"
                )
            }
        }
        if AddressResolver.literal(host) != nil { return shared }
        let client = pinned.withLock { entries -> HTTPClient in
            if let existing = entries[key], existing.address == first.text {
                entries[key] = Pinned(address: existing.address, client: existing.client, resolvedAt: now)
                return existing.client
            }
            let client = Self.makeClient(configuration: configuration, dnsOverride: [host: first.text])
            if let replaced = entries.updateValue(
                Pinned(address: first.text, client: client, resolvedAt: now),
                forKey: key
            ) {
                retired.withLock { $0.append(replaced.client) }
            }
            return client
        }
        return client
    }

    public func shutdown() async {
        var clients = pinned.withLock { entries in
            let clients = entries.values.map(\.client)
            entries.removeAll()
            return clients
        }
        clients += retired.withLock { list in
            defer { list.removeAll() }
            return list
        }
        clients.append(shared)
        for client in clients {
            try? await client.shutdown()
        }
    }
}
