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
///
/// The host is normalised once (lower case, no trailing dot, no brackets) and that one form keys
/// the cache and the override, so `Example.COM` and `example.com.` take the same checked path.
/// The cache is bounded; a client replaced by a new DNS answer or evicted is shut down once
/// attempts that may still use it are over.
public final class GuardedHTTPClients: Sendable {
    public struct Configuration: Sendable {
        public var allowPrivateNetworks: Bool
        public var connectTimeout: Duration
        public var connectionsPerHost: Int
        /// How long a checked resolution is reused.
        public var resolutionTTL: Duration
        /// Pinned clients kept at most (least recently used ones go first).
        public var maximumHosts: Int
        /// How long a replaced client lives on for attempts already using it.
        public var retirementGrace: Duration

        public init(
            allowPrivateNetworks: Bool,
            connectTimeout: Duration = .seconds(5),
            connectionsPerHost: Int = 8,
            resolutionTTL: Duration = .seconds(30),
            maximumHosts: Int = 256,
            retirementGrace: Duration = .seconds(120)
        ) {
            self.allowPrivateNetworks = allowPrivateNetworks
            self.connectTimeout = connectTimeout
            self.connectionsPerHost = connectionsPerHost
            self.resolutionTTL = resolutionTTL
            self.maximumHosts = maximumHosts
            self.retirementGrace = retirementGrace
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

    /// Resolves a normalised host name to addresses; the system resolver unless a test injects one.
    public typealias Resolve = @Sendable (String) async throws -> [AddressResolver.Address]

    private struct Pinned {
        let address: String
        /// Made on first use: deliveries connect through `connections`, only key fetches need it.
        var client: HTTPClient?
        var resolvedAt: ContinuousClock.Instant
        var usedAt: ContinuousClock.Instant
    }

    private struct State {
        var pinned: [String: Pinned] = [:]
        var retired: [(client: HTTPClient, at: ContinuousClock.Instant)] = []
    }

    private let configuration: Configuration
    private let shared: HTTPClient
    /// Kept-alive connections for deliveries and revocations, to the addresses checked here.
    public let connections: DeliveryConnections
    /// The RPs' URLs, parsed once each.
    let endpoints = Endpoints()
    private let state = Mutex(State())
    private let resolve: Resolve

    public init(configuration: Configuration, resolve: Resolve? = nil) {
        self.configuration = configuration
        shared = Self.makeClient(configuration: configuration, dnsOverride: [:])
        connections = DeliveryConnections(
            connectTimeout: configuration.connectTimeout,
            maximumIdlePerHost: configuration.connectionsPerHost,
            maximumBodyBytes: DeliverySender.maximumResponseBytes
        )
        let system = AddressResolver()
        self.resolve = resolve ?? { try await system.resolve($0) }
    }

    static func makeClient(configuration: Configuration, dnsOverride: [String: String]) -> HTTPClient {
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,
            timeout: .init(connect: .milliseconds(configuration.connectTimeout.wholeMilliseconds)),
            connectionPool: .init(
                idleTimeout: .seconds(60),
                concurrentHTTP1ConnectionsPerHostSoftLimit: configuration.connectionsPerHost
            )
        )
        clientConfiguration.dnsOverride = dnsOverride
        // A refused or failed connection ends the attempt at once: the queue's backoff decides when
        // to try again, not the pool retrying inside one attempt until the connect timeout.
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        clientConfiguration.httpVersion = .automatic
        return HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: clientConfiguration)
    }

    /// The one form of a host name used for checks, caching and pinning.
    public static func normalizedHost(_ host: String) -> String {
        var host = host.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }

    /// Pinned clients currently cached, for tests and diagnostics.
    public var cachedHosts: Int { state.withLock { $0.pinned.count } }

    /// The client to use for `url`, after the address check.
    public func client(for url: URL) async throws -> HTTPClient {
        guard let address = try await checkedAddress(for: url), let host = url.host else { return shared }
        return pinnedClient(Self.normalizedHost(host), address: address)
    }

    /// The address the guard checked for `url`'s host, to connect to instead of resolving it
    /// again; `nil` when the host is to be used as it is (an IP literal the guard accepted, or
    /// any host with `allowPrivateNetworks`). A resolution (every `resolutionTTL` per host) is
    /// bounded by `timeout`; a cached one costs a dictionary lookup.
    public func checkedAddress(for url: URL, timeout: Duration = .seconds(10)) async throws -> String? {
        try await checkedAddress(for: Endpoint(url: url), timeout: timeout)
    }

    /// The same for an endpoint parsed once for all its attempts.
    func checkedAddress(for endpoint: Endpoint, timeout: Duration) async throws -> String? {
        guard let rawHost = endpoint.host, !rawHost.isEmpty else { throw GuardError.invalidURL("the URL has no host") }
        if configuration.allowPrivateNetworks { return nil }
        let host = endpoint.normalizedHost
        let now = ContinuousClock.now
        retireExpired(now: now)
        let ttl = configuration.resolutionTTL
        let cached = state.withLock { state -> String? in
            guard var entry = state.pinned[host], entry.resolvedAt.duration(to: now) < ttl else { return nil }
            entry.usedAt = now
            state.pinned[host] = entry
            return entry.address
        }
        if let cached { return cached }

        let addresses: [AddressResolver.Address]
        do {
            addresses = try await withDeadline(timeout, timedOut: { DeadlineExceeded() }) {
                try await self.resolve(host)
            }
        } catch is DeadlineExceeded {
            throw GuardError.resolution("no answer from the resolver for \(host) within the attempt's timeout")
        } catch {
            throw GuardError.resolution(String(describing: error))
        }
        guard let first = addresses.first else { throw GuardError.resolution("\(host) has no address") }
        for address in addresses {
            if case .refused(let why) = address.verdict {
                throw GuardError.refused(
                    "\(host) resolves to \(address.text), a \(why); set delivery.allow_private_networks only for development"
                )
            }
        }
        if AddressResolver.literal(host) != nil { return nil }
        remember(host, address: first.text, now: now)
        return first.text
    }

    /// Keeps a checked resolution; a different address retires the old one's client.
    private func remember(_ host: String, address: String, now: ContinuousClock.Instant) {
        state.withLock { state in
            if var existing = state.pinned[host], existing.address == address {
                existing.resolvedAt = now
                existing.usedAt = now
                state.pinned[host] = existing
                return
            }
            let entry = Pinned(address: address, client: nil, resolvedAt: now, usedAt: now)
            if let replaced = state.pinned.updateValue(entry, forKey: host), let client = replaced.client {
                state.retired.append((client, now))
            }
            if state.pinned.count > configuration.maximumHosts,
                let oldest = state.pinned.min(by: { $0.value.usedAt < $1.value.usedAt })
            {
                state.pinned[oldest.key] = nil
                if let client = oldest.value.client { state.retired.append((client, now)) }
            }
        }
    }

    /// The client whose DNS is pinned to the checked `address` of `host`.
    private func pinnedClient(_ host: String, address: String) -> HTTPClient {
        state.withLock { state -> HTTPClient in
            if let client = state.pinned[host]?.client, state.pinned[host]?.address == address { return client }
            let client = Self.makeClient(configuration: configuration, dnsOverride: [host: address])
            if var entry = state.pinned[host], entry.address == address {
                entry.client = client
                state.pinned[host] = entry
            } else {
                // Evicted between the check and now: the client lives until its grace is over.
                state.retired.append((client, .now))
            }
            return client
        }
    }

    /// Shuts down retired clients whose grace period is over: no attempt can still use them.
    private func retireExpired(now: ContinuousClock.Instant) {
        let grace = configuration.retirementGrace
        let expired = state.withLock { state -> [HTTPClient] in
            let (old, young) = (
                state.retired.filter { $0.at.duration(to: now) >= grace },
                state.retired.filter { $0.at.duration(to: now) < grace }
            )
            state.retired = young
            return old.map(\.client)
        }
        for client in expired {
            client.shutdown { _ in }
        }
    }

    public func shutdown() async {
        var clients = state.withLock { state in
            defer {
                state.pinned.removeAll()
                state.retired.removeAll()
            }
            return state.pinned.values.compactMap(\.client) + state.retired.map(\.client)
        }
        clients.append(shared)
        for client in clients {
            try? await client.shutdown()
        }
        await connections.shutdown()
    }
}

extension AddressResolver.Address {
    /// The SSRF policy's verdict on this address (DEL-8).
    var verdict: AddressPolicy.Verdict {
        switch self {
        case .v4(let bytes): return AddressPolicy.check(ipv4: bytes)
        case .v6(let bytes): return AddressPolicy.check(ipv6: bytes)
        }
    }
}
