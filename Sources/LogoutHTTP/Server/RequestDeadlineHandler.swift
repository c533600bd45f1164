import HummingbirdCore
import NIOCore
import NIOHTTPTypes

/// Closes a connection that misses a deadline of `RequestDeadlines`; sits after HTTP decoding.
final class RequestDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeouts: RequestDeadlines.Timeouts
    private var deadlines: RequestDeadlines?
    private var timer: Scheduled<Void>?

    init(timeouts: RequestDeadlines.Timeouts) {
        self.timeouts = timeouts
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { start(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        start(context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if deadlines != nil {
            switch unwrapInboundIn(data) {
            case .head: apply(deadlines!.headReceived(now: .now()), context)
            case .body: break
            case .end: apply(deadlines!.requestEnded(), context)
            }
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data), deadlines != nil {
            apply(deadlines!.responseEnded(now: .now()), context)
        }
        context.write(data, promise: promise)
    }

    private func start(_ context: ChannelHandlerContext) {
        guard deadlines == nil else { return }
        let machine = RequestDeadlines(timeouts: timeouts, openedAt: .now())
        deadlines = machine
        apply(machine.initialAction, context)
    }

    private func apply(_ action: RequestDeadlines.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .arm(let deadline):
            timer?.cancel()
            let loop = context.eventLoop.assumeIsolated()
            timer = loop.scheduleTask(deadline: deadline) { [self] in
                self.timer = nil
                guard let deadlines = self.deadlines else { return }
                self.apply(deadlines.timerFired(now: .now()), context)
            }
        case .disarm:
            timer?.cancel()
            timer = nil
        case .close:
            timer = nil
            context.close(promise: nil)
        case .none:
            break
        }
    }
}

@available(*, unavailable)
extension RequestDeadlineHandler: Sendable {}
