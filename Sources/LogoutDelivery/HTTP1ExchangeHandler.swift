import NIOCore
import NIOHTTP1
import NIOTLS

#if canImport(Glibc)
    import Glibc
#endif

/// One POST and its answer at a time on a kept-alive HTTP/1.1 connection (NIOHTTP1 encodes and
/// parses; this handler only sequences). It writes the head, the body and the end with a single
/// flush, so a delivery costs one `write` system call, and ends the exchange at its deadline from
/// the event loop's own timer: no task, no second timer per attempt.
final class HTTP1ExchangeHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = Exchange
    typealias OutboundOut = HTTPClientRequestPart

    /// What the pool writes into the channel: the request and where its answer goes.
    struct Exchange: Sendable {
        var head: HTTPRequestHead
        var body: ByteBuffer
        var timeout: TimeAmount
        var answer: EventLoopPromise<Answer>
    }

    struct Answer: Sendable {
        var status: Int
        var headers: HTTPHeaders
        /// At most `maximumBodyBytes` of the body.
        var body: [UInt8]
        /// Whether the connection can carry the next exchange.
        var reusable: Bool
        /// The address that answered (the connection's peer), for the attempt log.
        var remoteAddress: String?
    }

    /// The connection ended before any byte of an answer: on a connection reused from the pool
    /// that is a keep-alive race with the RP's idle timeout, worth one more try on a new one.
    /// `reset`: it ended with a reset (our request met the RP's close), not an orderly close.
    struct ClosedBeforeAnswer: Error {
        var reset = false
    }
    /// The connection ended in the middle of an answer.
    struct ClosedDuringAnswer: Error {}

    private let maximumBodyBytes: Int
    /// Succeeds once the connection can carry a request (TCP up, and the TLS handshake done when
    /// there is one); fails with the reason it never could, such as a certificate refused.
    private let ready: EventLoopPromise<Void>
    private let tls: Bool
    private var answer: EventLoopPromise<Answer>?
    /// The exchange's deadline, a callback of the event loop's own (no promise or closure per
    /// attempt, as `scheduleTask` makes), and the context it fails the exchange in.
    private var deadline: NIOScheduledCallback?
    private var context: ChannelHandlerContext?
    /// The connection's peer, formatted once: it cannot change, and formatting it cost 2,800
    /// instructions an attempt (callgrind).
    private var peer: String?
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []
    private var received = false

    init(maximumBodyBytes: Int, tls: Bool, ready: EventLoopPromise<Void>) {
        self.maximumBodyBytes = maximumBodyBytes
        self.tls = tls
        self.ready = ready
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        self.context = nil
    }

    func channelActive(context: ChannelHandlerContext) {
        if !tls { ready.succeed() }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case TLSUserEvent.handshakeCompleted = event { ready.succeed() }
        context.fireUserInboundEventTriggered(event)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let exchange = unwrapOutboundIn(data)
        guard answer == nil else {
            // The pool lends a connection to one exchange at a time; a second is refused whole.
            exchange.answer.fail(ChannelError.inappropriateOperationForState)
            promise?.fail(ChannelError.inappropriateOperationForState)
            return
        }
        answer = exchange.answer
        head = nil
        body = []
        received = false
        do {
            deadline = try context.eventLoop.assumeIsolated().scheduleCallback(in: exchange.timeout, handler: self)
        } catch {
            // The event loop is shutting down: no deadline could run, so no exchange starts.
            fail(error, context: context)
            promise?.fail(error)
            return
        }
        context.write(wrapOutboundOut(.head(exchange.head)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(exchange.body))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard answer != nil else {
            // Bytes nobody asked for: the connection's framing can no longer be trusted.
            context.close(promise: nil)
            return
        }
        received = true
        switch unwrapInboundIn(data) {
        case .head(let response):
            // 1xx answers (100 Continue) precede the real one.
            if response.status.code >= 200 || response.status.code == 101 { head = response }
        case .body(var buffer):
            let room = maximumBodyBytes - body.count
            if room > 0, let bytes = buffer.readBytes(length: min(room, buffer.readableBytes)) {
                body += bytes
            }
            // More than we read: answer now and drop the connection rather than drain it.
            if buffer.readableBytes > 0 { complete(reusable: false, context: context) }
        case .end:
            complete(reusable: head?.isKeepAlive ?? false, context: context)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        ready.fail(ClosedBeforeAnswer())
        fail(received ? ClosedDuringAnswer() : ClosedBeforeAnswer(), context: context)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        ready.fail(error)
        // A request written to a connection the RP has just closed is answered by a reset (or
        // the write meets a broken pipe): the same race as an orderly close before the answer.
        if !received, let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
            fail(ClosedBeforeAnswer(reset: true), context: context)
            return
        }
        fail(error, context: context)
    }

    private func complete(reusable: Bool, context: ChannelHandlerContext) {
        guard let answer, let head else { return }
        self.answer = nil
        deadline?.cancel()
        deadline = nil
        answer.succeed(
            Answer(
                status: Int(head.status.code),
                headers: head.headers,
                body: body,
                reusable: reusable,
                remoteAddress: peerAddress(context)
            )
        )
        if !reusable { context.close(promise: nil) }
    }

    private func peerAddress(_ context: ChannelHandlerContext) -> String? {
        if let peer { return peer }
        peer = context.channel.remoteAddress?.ipAddress
        return peer
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        deadline?.cancel()
        deadline = nil
        if let answer {
            self.answer = nil
            answer.fail(error)
        }
        context.close(promise: nil)
    }
}

extension HTTP1ExchangeHandler: NIOScheduledCallbackHandler {
    /// The deadline came first: the exchange fails and the connection closes.
    func handleScheduledCallback(eventLoop: some EventLoop) {
        deadline = nil
        guard let context else { return }
        fail(DeadlineExceeded(), context: context)
    }
}
