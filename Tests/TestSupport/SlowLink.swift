import NIOCore
import NIOPosix
import Synchronization

/// A TCP relay that holds every chunk for `delay` before passing it on, in each direction: a
/// slow link for a test, where the kernel's `netem` is missing (these machines' kernels refuse
/// it). It listens on `host` (the host's end of a namespace link, typically, so that iptables
/// rules inside the namespace drop packets on the way as well) and forwards to a loopback port.
/// It counts the connections open through it: what a client keeps open to the far side.
public final class SlowLink: Sendable {
    public let host: String
    public let port: Int
    private let channel: any Channel
    private let counts: Counts

    public var url: String { "http://\(host):\(port)" }
    /// Connections open through the link now, and at most at once since it started.
    public var open: Int { counts.state.withLock { $0.open } }
    public var mostOpen: Int { counts.state.withLock { $0.most } }
    public var accepted: Int { counts.state.withLock { $0.accepted } }

    final class Counts: Sendable {
        struct State {
            var open = 0
            var most = 0
            var accepted = 0
        }
        let state = Mutex(State())

        func opened() {
            state.withLock {
                $0.open += 1
                $0.accepted += 1
                $0.most = max($0.most, $0.open)
            }
        }

        func closed() { state.withLock { $0.open -= 1 } }
    }

    public static func start(host: String, forwardingTo upstreamPort: Int, delay: Duration) async throws -> SlowLink {
        let counts = Counts()
        let nanoseconds = delay.components.seconds * 1_000_000_000 + delay.components.attoseconds / 1_000_000_000
        let amount = TimeAmount.nanoseconds(nanoseconds)
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Nothing is read from a client before its far side is connected and the relaying
            // handlers are in place.
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                counts.opened()
                inbound.closeFuture.whenComplete { _ in counts.closed() }
                return ClientBootstrap(group: inbound.eventLoop)
                    .connect(host: "127.0.0.1", port: upstreamPort)
                    .flatMap { outbound in
                        inbound.pipeline.addHandler(Delaying(peer: outbound, delay: amount)).flatMap {
                            outbound.pipeline.addHandler(Delaying(peer: inbound, delay: amount))
                        }.flatMap { inbound.setOption(.autoRead, value: true) }
                    }
            }
            .bind(host: host, port: 0).get()
        return SlowLink(host: host, port: channel.localAddress?.port ?? 0, channel: channel, counts: counts)
    }

    private init(host: String, port: Int, channel: any Channel, counts: Counts) {
        self.host = host
        self.port = port
        self.channel = channel
        self.counts = counts
    }

    public func stop() async {
        try? await channel.close()
    }

    /// Passes what one side reads to the other `delay` later; an end or an error likewise.
    final class Delaying: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let peer: any Channel
        let delay: TimeAmount

        init(peer: any Channel, delay: TimeAmount) {
            self.peer = peer
            self.delay = delay
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let buffer = Self.unwrapInboundIn(data)
            let peer = self.peer
            context.eventLoop.scheduleTask(in: delay) { peer.writeAndFlush(buffer, promise: nil) }
        }

        func channelInactive(context: ChannelHandlerContext) {
            let peer = self.peer
            context.eventLoop.scheduleTask(in: delay) { peer.close(promise: nil) }
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            context.close(promise: nil)
        }
    }
}
