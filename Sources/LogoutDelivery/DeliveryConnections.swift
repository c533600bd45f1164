import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// Kept-alive HTTP/1.1 connections to RPs, for deliveries and revocations: the hot path of a
/// fan-out. AsyncHTTPClient spent about a third of the daemon's CPU per delivery (a task, a
/// deadline timer and a flush per request part, a pool state machine); an exchange here is one
/// write to a connection taken from a list, answered through one promise.
///
/// Connections are keyed by scheme, host, port and the address the SSRF guard checked (DEL-8),
/// so a new DNS answer never reuses a connection to the old address; TLS verifies the host name
/// with the system's trust roots. Redirects are never followed: the answer is handed back as is.
public final class DeliveryConnections: Sendable {
    struct Key: Hashable, Sendable {
        var tls: Bool
        var host: String
        var port: Int
        /// The checked address to connect to; `nil` connects to `host` itself.
        var address: String?
    }

    private struct Idle: Sendable {
        let channel: any Channel
        let since: ContinuousClock.Instant
    }

    private let group: any EventLoopGroup
    private let connectTimeout: Duration
    private let maximumIdlePerHost: Int
    private let idleTimeout: Duration
    private let maximumBodyBytes: Int
    private let tls: NIOSSLContext?
    /// The idle connections by key, and when every list was last looked through.
    private struct IdlePool: Sendable {
        var lists: [Key: [Idle]] = [:]
        var lastSweep = ContinuousClock.now
    }

    private let idle = Mutex(IdlePool())

    public init(
        connectTimeout: Duration,
        maximumIdlePerHost: Int,
        maximumBodyBytes: Int,
        idleTimeout: Duration = .seconds(60),
        tlsConfiguration: TLSConfiguration = .makeClientConfiguration(),
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) {
        self.connectTimeout = connectTimeout
        self.maximumIdlePerHost = maximumIdlePerHost
        self.maximumBodyBytes = maximumBodyBytes
        self.idleTimeout = idleTimeout
        self.group = group
        // Without a TLS context (no trust roots could be loaded) https deliveries fail as TLS
        // errors, each with its reason, instead of the daemon refusing to start.
        tls = try? NIOSSLContext(configuration: tlsConfiguration)
    }

    /// POSTs `body` and returns the answer, within `timeout` from now (connect included).
    func post(
        url: URL,
        address: String?,
        headers: HTTPHeaders,
        body: ByteBuffer,
        timeout: Duration
    ) async throws -> HTTP1ExchangeHandler.Answer {
        try await post(to: Endpoint(url: url), address: address, headers: headers, body: body, timeout: timeout)
    }

    /// The same to an endpoint parsed once for all its attempts.
    func post(
        to endpoint: Endpoint,
        address: String?,
        headers: HTTPHeaders,
        body: ByteBuffer,
        timeout: Duration
    ) async throws -> HTTP1ExchangeHandler.Answer {
        guard let host = endpoint.host, !host.isEmpty, !endpoint.normalizedHost.isEmpty else {
            throw GuardedHTTPClients.GuardError.invalidURL("no host")
        }
        let key = Key(
            tls: endpoint.secure,
            host: endpoint.normalizedHost,
            port: endpoint.port,
            address: address
        )
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.target, headers: headers)
        head.headers.replaceOrAdd(name: "Host", value: endpoint.hostHeader)
        head.headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))

        let deadline = ContinuousClock.now + timeout
        if let channel = takeIdle(key) {
            do {
                return try await exchange(on: channel, key: key, head: head, body: body, deadline: deadline)
            } catch is HTTP1ExchangeHandler.ClosedBeforeAnswer {
                // The RP closed an idle connection as we used it: once more on a fresh one.
                try Task.checkCancellation()
            }
        }
        let channel = try await connect(key, deadline: deadline)
        return try await exchange(on: channel, key: key, head: head, body: body, deadline: deadline)
    }

    /// Closes every idle connection (at shutdown).
    public func shutdown() async {
        let all = idle.withLock { pool in
            defer { pool.lists.removeAll() }
            return pool.lists.values.flatMap { $0.map(\.channel) }
        }
        for channel in all { try? await channel.close() }
    }

    private func exchange(
        on channel: any Channel,
        key: Key,
        head: HTTPRequestHead,
        body: ByteBuffer,
        deadline: ContinuousClock.Instant
    ) async throws -> HTTP1ExchangeHandler.Answer {
        let remaining = ContinuousClock.now.duration(to: deadline)
        guard remaining > .zero else {
            channel.close(promise: nil)
            throw DeadlineExceeded()
        }
        let promise = channel.eventLoop.makePromise(of: HTTP1ExchangeHandler.Answer.self)
        let written = channel.eventLoop.makePromise(of: Void.self)
        // A write that never reached the handler (the connection closed in between) has no
        // deadline running: its failure is the answer's. Completing an answered promise again
        // does nothing.
        written.futureResult.whenFailure { error in
            if case ChannelError.ioOnClosedChannel = error {
                promise.fail(HTTP1ExchangeHandler.ClosedBeforeAnswer())
            } else {
                promise.fail(error)
            }
        }
        channel.writeAndFlush(
            HTTP1ExchangeHandler.Exchange(
                head: head,
                body: body,
                timeout: TimeAmount(remaining),
                answer: promise
            ),
            promise: written
        )
        let answer = try await withTaskCancellationHandler {
            try await promise.futureResult.get()
        } onCancel: {
            channel.close(promise: nil)
        }
        if answer.reusable { giveBack(channel, key: key) }
        return answer
    }

    private func connect(_ key: Key, deadline: ContinuousClock.Instant) async throws -> any Channel {
        let remaining = min(connectTimeout, ContinuousClock.now.duration(to: deadline))
        guard remaining > .zero else { throw DeadlineExceeded() }
        if key.tls && tls == nil { throw NIOSSLError.failedToLoadCertificate }
        let sslContext = key.tls ? tls : nil
        let serverName = AddressResolver.literal(key.host) == nil ? key.host : nil
        let maximumBodyBytes = maximumBodyBytes
        let loop = group.next()
        let ready = loop.makePromise(of: Void.self)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(TimeAmount(remaining))
            // At the TCP level: `.socketOption(.tcp_nodelay)` is SOL_SOCKET option 1, SO_DEBUG,
            // which needs CAP_NET_ADMIN and failed every delivery under the hardened unit.
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let sslContext {
                        try pipeline.addHandler(NIOSSLClientHandler(context: sslContext, serverHostname: serverName))
                    }
                    try pipeline.addHTTPClientHandlers()
                    try pipeline.addHandler(
                        HTTP1ExchangeHandler(maximumBodyBytes: maximumBodyBytes, tls: sslContext != nil, ready: ready)
                    )
                }
            }
        let channel: any Channel
        do {
            channel = try await bootstrap.connect(host: key.address ?? key.host, port: key.port).get()
        } catch {
            ready.fail(error)
            throw error
        }
        // A refused certificate ends here with its own error, before any request is written.
        do {
            try await ready.futureResult.get()
        } catch {
            channel.close(promise: nil)
            throw error
        }
        return channel
    }

    private func takeIdle(_ key: Key) -> (any Channel)? {
        let now = ContinuousClock.now
        var stale: [any Channel] = []
        let taken = idle.withLock { pool -> (any Channel)? in
            while let last = pool.lists[key]?.popLast() {
                if last.channel.isActive && last.since.duration(to: now) < idleTimeout { return last.channel }
                stale.append(last.channel)
            }
            return nil
        }
        for channel in stale { channel.close(promise: nil) }
        return taken
    }

    private func giveBack(_ channel: any Channel, key: Key) {
        let now = ContinuousClock.now
        var closing: [any Channel] = []
        func handBack(to list: inout [Idle]) {
            list.removeAll { !keep($0, now: now, else: &closing) }
            if list.count < maximumIdlePerHost {
                list.append(Idle(channel: channel, since: now))
            } else {
                closing.append(channel)
            }
        }
        idle.withLock { pool in
            handBack(to: &pool.lists[key, default: []])
            // Now and then every list: an RP that gets no more deliveries, or an address DNS no
            // longer gives, must not keep its connections (or their keys) for good. By time, not
            // whenever a list was empty: in a fan-out an RP's list empties and fills at every
            // attempt, and looking through every RP's list then cost 17,000 instructions a
            // delivery (callgrind).
            guard pool.lastSweep.duration(to: now) >= sweepInterval else { return }
            pool.lastSweep = now
            for other in Array(pool.lists.keys) where other != key {
                pool.lists[other]?.removeAll { !keep($0, now: now, else: &closing) }
                if pool.lists[other]?.isEmpty == true { pool.lists[other] = nil }
            }
        }
        for channel in closing { channel.close(promise: nil) }
    }

    /// How often the idle lists are looked through: often enough that a connection outlives
    /// the idle timeout by little, seldom enough to cost nothing per attempt.
    private var sweepInterval: Duration { min(idleTimeout / 4, .seconds(1)) }

    /// Whether an idle connection may still serve; if not it goes to `closing`.
    private func keep(_ entry: Idle, now: ContinuousClock.Instant, else closing: inout [any Channel]) -> Bool {
        let usable = entry.channel.isActive && entry.since.duration(to: now) < idleTimeout
        if !usable { closing.append(entry.channel) }
        return usable
    }
}
