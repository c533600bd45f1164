import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// One delivery's HTTP/1.1 request on a kept-alive connection, client side, on SwiftNIO as
/// logoutd's sender: a token-sized form POST to the same nginx the benchmark's RPs are, on
/// several connections at once, for CPU per request.
enum HTTPFloor {
    static func measure(host: String, port: Int, connections: Int, seconds: Double) async throws -> (Double, Int) {
        let group = MultiThreadedEventLoopGroup.singleton
        let body = "logout_token=" + String(repeating: "x", count: 600)
        var head = HTTPRequestHead(version: .http1_1, method: .POST, uri: "/bcl")
        head.headers.add(name: "Host", value: "\(host):\(port)")
        head.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
        head.headers.add(name: "Content-Length", value: String(body.utf8.count))
        let request = head
        let deadline = NIODeadline.now() + .nanoseconds(Int64(seconds * 1e9))
        let before = CPUTime.microseconds()
        var futures: [EventLoopFuture<Int>] = []
        for _ in 0..<connections {
            let loop = group.next()
            let promise = loop.makePromise(of: Int.self)
            let done = Once(promise)
            let connected = ClientBootstrap(group: loop)
                .channelOption(.socketOption(.tcp_nodelay), value: 1)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(
                            Requester(head: request, body: ByteBuffer(string: body), deadline: deadline, done: done)
                        )
                    }
                }
                .connect(host: host, port: port)
            connected.whenFailure { done.complete(.failure($0)) }
            futures.append(promise.futureResult)
        }
        var requests = 0
        for future in futures { requests += try await future.get() }
        return ((CPUTime.microseconds() - before) / Double(max(requests, 1)), requests)
    }

    /// Sends the next request when the last answer has ended, until the deadline.
    final class Requester: ChannelInboundHandler {
        typealias InboundIn = HTTPClientResponsePart
        typealias OutboundOut = HTTPClientRequestPart

        let head: HTTPRequestHead
        let body: ByteBuffer
        let deadline: NIODeadline
        let done: Once
        var answered = 0

        init(head: HTTPRequestHead, body: ByteBuffer, deadline: NIODeadline, done: Once) {
            self.head = head
            self.body = body
            self.deadline = deadline
            self.done = done
        }

        func channelActive(context: ChannelHandlerContext) {
            send(context)
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch Self.unwrapInboundIn(data) {
            case .head(let response) where response.status != .ok || !response.isKeepAlive:
                finish(.failure(FloorError("nginx answered \(response.status), keep-alive \(response.isKeepAlive)")))
                context.close(promise: nil)
            case .end:
                answered += 1
                if NIODeadline.now() < deadline {
                    send(context)
                } else {
                    finish(.success(answered))
                    context.close(promise: nil)
                }
            default:
                break
            }
        }

        /// A connection that ends before the deadline is a failure, not a silent hang.
        func channelInactive(context: ChannelHandlerContext) {
            finish(.failure(FloorError("nginx closed a kept-alive connection after \(answered) requests")))
        }

        private func finish(_ result: Result<Int, any Error>) {
            done.complete(result)
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            finish(.failure(error))
            context.close(promise: nil)
        }

        private func send(_ context: ChannelHandlerContext) {
            context.write(Self.wrapOutboundOut(.head(head)), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        }
    }

    /// A connection's promise, completed by whichever comes first: its handler (answers, an
    /// error, the end) or a failed connect.
    final class Once: Sendable {
        let promise: EventLoopPromise<Int>
        let completed = Mutex(false)

        init(_ promise: EventLoopPromise<Int>) { self.promise = promise }

        func complete(_ result: Result<Int, any Error>) {
            let first = completed.withLock { completed in
                defer { completed = true }
                return !completed
            }
            if first { promise.completeWith(result) }
        }
    }
}
