import Foundation
import LogoutCore
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization
import TestSupport
import Testing

@testable import LogoutDelivery

/// The delivery client's own behaviour, against a small NIO server that counts its connections:
/// keep-alive, the keep-alive race, TLS with host name verification, and the one deadline.
@Suite struct DeliveryConnectionsTests {
    /// This suite's own event loops, for its servers and clients: on the process-wide singleton
    /// they share loops with every other suite running in parallel, and a post of the keep-alive
    /// race tests ran into its 30 s deadline twice in CI (never in 6 runs of the suite alone,
    /// with the CPU busy) — time these tests measure, not another suite's.
    static let loops = MultiThreadedEventLoopGroup(numberOfThreads: 2)

    @Test func deliveriesToOneRPShareOneKeptAliveConnection() async throws {
        let rp = try await CountingServer.start()
        let connections = Self.connections()
        for index in 0..<3 {
            let answer = try await post(
                connections,
                to: "http://127.0.0.1:\(rp.port)/bcl?n=\(index)",
                token: "t\(index)"
            )
            #expect(answer.status == 200 && answer.body == Array("ok".utf8) && answer.reusable)
        }
        #expect(rp.accepted == 1)
        #expect(rp.requests == ["/bcl?n=0 logout_token=t0", "/bcl?n=1 logout_token=t1", "/bcl?n=2 logout_token=t2"])
        await connections.shutdown()
        try await rp.stop()
    }

    /// An RP that closes a kept-alive connection without saying so (its idle timeout) costs a
    /// second connection, not a failed attempt and its backoff.
    @Test func aConnectionTheRPClosedIsReplacedWithinTheAttempt() async throws {
        let rp = try await CountingServer.start(closeAfterAnswer: true)
        let connections = Self.connections()
        for index in 0..<2 {
            let answer = try await post(connections, to: "http://127.0.0.1:\(rp.port)/bcl")
            #expect(answer.status == 200)
            // The RP has closed it on its side: the next post finds the connection closed, or
            // meets the close as it sends; either way it must not fail.
            #expect(await eventually { rp.closed == index + 1 })
        }
        #expect(rp.accepted == 2 && rp.requests.count == 2)
        await connections.shutdown()
        try await rp.stop()
    }

    /// The same race, many times, without waiting for the RP's close half of the time: the
    /// request then meets the close, and the RP's kernel answers it with a reset. A reset before
    /// any byte of the answer is the race, not a failed attempt (it failed one CI run).
    ///
    /// 12,000 rounds in 4 processes at once ran clean; in the full suite, once every few CI runs,
    /// one post got no answer for 30 s. 60 rounds keep 30 races; a hang now says which side
    /// stopped (the server saw the request or not), for the cause to be found.
    @Test func aResetOnAReusedConnectionIsTheSameRace() async throws {
        let rp = try await CountingServer.start(closeAfterAnswer: true)
        let connections = Self.connections()
        for index in 0..<60 {
            let seen = rp.requests.count
            do {
                let answer = try await post(connections, to: "http://127.0.0.1:\(rp.port)/bcl")
                #expect(answer.status == 200)
            } catch {
                let seenSince = rp.requests.count - seen
                Issue.record(
                    "round \(index): \(error); the server saw \(seenSince) new request(s), accepted \(rp.accepted), closed \(rp.closed)"
                )
                throw error
            }
            if index % 2 == 0 { _ = await eventually(timeout: 5) { rp.closed >= index + 1 } }
        }
        #expect(rp.accepted >= 60)
        await connections.shutdown()
        try await rp.stop()
    }

    @Test func tlsVerifiesTheRPsNameAgainstTheTrustedRoots() async throws {
        let folder = TemporaryDirectory()
        let (certificate, key) = try SelfSigned.make(commonName: "localhost", in: folder)
        let rp = try await CountingServer.start(
            tls: try NIOSSLContext(
                configuration: .makeServerConfiguration(
                    certificateChain: [.certificate(certificate)],
                    privateKey: .privateKey(key)
                )
            )
        )
        var trusting = TLSConfiguration.makeClientConfiguration()
        trusting.trustRoots = .certificates([certificate])
        let trusted = DeliveryConnections(
            connectTimeout: .seconds(10),
            maximumIdlePerHost: 8,
            maximumBodyBytes: 4096,
            tlsConfiguration: trusting,
            group: Self.loops
        )
        let answer = try await post(trusted, to: "https://localhost:\(rp.port)/bcl", address: "127.0.0.1")
        #expect(answer.status == 200 && rp.requests == ["/bcl logout_token=t"])
        // The system's roots do not know this certificate: a TLS failure, nothing delivered.
        let clients = GuardedHTTPClients(configuration: .init(allowPrivateNetworks: true))
        let refused = await DeliverySender(clients: clients)
            .send(token: "t", to: "https://localhost:\(rp.port)/bcl", timeout: .seconds(30))
        if case .transportFailure(.tls, _) = refused {
        } else {
            Issue.record("not a TLS failure: \(refused)")
        }
        #expect(rp.requests.count == 1)
        await clients.shutdown()
        await trusted.shutdown()
        try await rp.stop()
    }

    /// An RP that gets no more deliveries does not keep a connection open past the idle timeout.
    @Test func idleConnectionsAreClosedAfterTheIdleTimeout() async throws {
        let quiet = try await CountingServer.start()
        let busy = try await CountingServer.start()
        let connections = DeliveryConnections(
            connectTimeout: .seconds(2),
            maximumIdlePerHost: 8,
            maximumBodyBytes: 4096,
            idleTimeout: .milliseconds(200),
            group: Self.loops
        )
        _ = try await post(connections, to: "http://127.0.0.1:\(quiet.port)/bcl")
        // The idle timeout runs on the real clock: waiting past it is the test's subject (a
        // sleep lasts at least this long; load only makes it longer). Idle connections are
        // looked at when another one is handed back, not by a timer: nothing closed it yet.
        try await Task.sleep(for: .milliseconds(400))
        #expect(quiet.closed == 0)
        _ = try await post(connections, to: "http://127.0.0.1:\(busy.port)/bcl")
        #expect(await eventually { quiet.closed == 1 })
        #expect(busy.closed == 0)
        await connections.shutdown()
        try await quiet.stop()
        try await busy.stop()
    }

    /// A body trickled a byte at a time cannot outlive the attempt's deadline: the 1,000 bytes,
    /// a byte every 200 ms, would take 200 s; the deadline is 1 s, and the bound is far from
    /// both so that a loaded machine does not matter.
    @Test func aTrickledAnswerEndsAtTheDeadline() async throws {
        let rp = try await CountingServer.start(trickle: true)
        let connections = Self.connections()
        let started = ContinuousClock.now
        await #expect(throws: DeadlineExceeded.self) {
            _ = try await post(connections, to: "http://127.0.0.1:\(rp.port)/bcl", timeout: .seconds(1))
        }
        #expect(started.duration(to: .now) < .seconds(60))
        await connections.shutdown()
        try await rp.stop()
    }

    private static func connections() -> DeliveryConnections {
        DeliveryConnections(
            connectTimeout: .seconds(2),
            maximumIdlePerHost: 8,
            maximumBodyBytes: 4096,
            group: Self.loops
        )
    }

    /// A delivery-shaped POST to the loopback RP on `port`.
    private func post(
        _ connections: DeliveryConnections,
        to url: String,
        address: String? = nil,
        token: String = "t",
        // Generous: these tests are about what is sent and kept, not about time, and a TLS
        // handshake of a debug build took over 5 s while the whole suite was starting on 2 cores.
        // `aTrickledAnswerEndsAtTheDeadline` checks the deadline with a short one of its own.
        timeout: Duration = .seconds(30)
    ) async throws -> HTTP1ExchangeHandler.Answer {
        try await connections.post(
            url: URL(string: url)!,
            address: address,
            headers: HTTPHeaders([("Content-Type", "application/x-www-form-urlencoded")]),
            body: ByteBuffer(string: "logout_token=\(token)"),
            timeout: timeout
        )
    }
}

/// A self-signed certificate made by the `openssl` command, for one name.
enum SelfSigned {
    static func make(commonName: String, in folder: TemporaryDirectory) throws -> (NIOSSLCertificate, NIOSSLPrivateKey)
    {
        let certificate = folder.file("cert.pem")
        let key = folder.file("key.pem")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [
            "openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
            "-days", "1", "-subj", "/CN=\(commonName)", "-addext", "subjectAltName=DNS:\(commonName)",
            "-keyout", key, "-out", certificate,
        ]
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw CocoaError(.fileWriteUnknown) }
        guard let first = try NIOSSLCertificate.fromPEMFile(certificate).first else {
            throw CocoaError(.fileReadCorruptFile)
        }
        return (first, try NIOSSLPrivateKey(file: key, format: .pem))
    }
}

/// An HTTP/1.1 server on loopback that answers `200 ok` to every request and counts connections.
final class CountingServer: Sendable {
    private let channel: any Channel
    private let state: State
    let port: Int

    final class State: Sendable {
        let accepted = Atomic<Int>(0)
        let closed = Atomic<Int>(0)
        let requests = Mutex<[String]>([])
    }

    var accepted: Int { state.accepted.load(ordering: .relaxed) }
    var closed: Int { state.closed.load(ordering: .relaxed) }
    var requests: [String] { state.requests.withLock { $0 } }

    static func start(
        tls: NIOSSLContext? = nil,
        closeAfterAnswer: Bool = false,
        trickle: Bool = false
    ) async throws -> CountingServer {
        let state = State()
        let channel = try await ServerBootstrap(group: DeliveryConnectionsTests.loops)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                state.accepted.add(1, ordering: .relaxed)
                return channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let tls { try pipeline.addHandler(NIOSSLServerHandler(context: tls)) }
                    try pipeline.configureHTTPServerPipeline()
                    try pipeline.addHandler(
                        Answering(state: state, closeAfterAnswer: closeAfterAnswer, trickle: trickle)
                    )
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        return CountingServer(channel: channel, state: state, port: channel.localAddress?.port ?? 0)
    }

    private init(channel: any Channel, state: State, port: Int) {
        self.channel = channel
        self.state = state
        self.port = port
    }

    func stop() async throws {
        try await channel.close()
    }

    private final class Answering: ChannelInboundHandler {
        typealias InboundIn = HTTPServerRequestPart
        typealias OutboundOut = HTTPServerResponsePart

        let state: State
        let closeAfterAnswer: Bool
        let trickle: Bool
        var uri = ""
        var body = ""

        init(state: State, closeAfterAnswer: Bool, trickle: Bool) {
            self.state = state
            self.closeAfterAnswer = closeAfterAnswer
            self.trickle = trickle
        }

        func channelInactive(context: ChannelHandlerContext) {
            state.closed.add(1, ordering: .relaxed)
            context.fireChannelInactive()
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch unwrapInboundIn(data) {
            case .head(let head):
                uri = head.uri
                body = ""
            case .body(let buffer):
                body += String(buffer: buffer)
            case .end:
                let line = "\(uri) \(body)"
                state.requests.withLock { $0.append(line) }
                var headers = HTTPHeaders([("Content-Length", trickle ? "1000" : "2")])
                if trickle { headers.add(name: "Content-Type", value: "text/plain") }
                context.write(
                    wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .ok, headers: headers))),
                    promise: nil
                )
                if trickle {
                    trickleByte(context: context)
                    return
                }
                context.write(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "ok")))), promise: nil)
                let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
                if closeAfterAnswer { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
            }
        }

        private func trickleByte(context: ChannelHandlerContext) {
            guard context.channel.isActive else { return }
            context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: "x")))), promise: nil)
            context.eventLoop.assumeIsolated().scheduleTask(in: .milliseconds(200)) {
                self.trickleByte(context: context)
            }
        }
    }
}
