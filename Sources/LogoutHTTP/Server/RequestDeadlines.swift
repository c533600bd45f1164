import NIOCore

/// When a connection must have sent what it owes (SEC-4): the request head within the header
/// timeout of connecting, its body within the body timeout of the head, and the next request
/// within the idle timeout of the previous answer.
///
/// The deadlines are absolute: a client that trickles one byte at a time gets no more time than
/// one that sends nothing, so half-sent requests cannot hold connections (and file descriptors)
/// for long. While we are answering, no deadline runs: that time is ours.
public struct RequestDeadlines: Sendable, Equatable {
    public struct Timeouts: Sendable, Equatable {
        public var header: TimeAmount
        public var body: TimeAmount
        public var idle: TimeAmount

        public init(header: TimeAmount, body: TimeAmount, idle: TimeAmount) {
            self.header = header
            self.body = body
            self.idle = idle
        }
    }

    enum State: Sendable, Equatable {
        case awaitingHead(deadline: NIODeadline)
        case readingBody(deadline: NIODeadline)
        case answering
    }

    public enum Action: Sendable, Equatable {
        case arm(NIODeadline)
        case disarm
        case close
        case none
    }

    public let timeouts: Timeouts
    private(set) var state: State

    public init(timeouts: Timeouts, openedAt now: NIODeadline) {
        self.timeouts = timeouts
        state = .awaitingHead(deadline: now + timeouts.header)
    }

    /// The deadline to arm when the connection opens.
    public var initialAction: Action {
        if case .awaitingHead(let deadline) = state { return .arm(deadline) }
        return .none
    }

    public mutating func headReceived(now: NIODeadline) -> Action {
        let deadline = now + timeouts.body
        state = .readingBody(deadline: deadline)
        return .arm(deadline)
    }

    public mutating func requestEnded() -> Action {
        state = .answering
        return .disarm
    }

    public mutating func responseEnded(now: NIODeadline) -> Action {
        // A pipelined request may already be on its way: its own deadline stands.
        guard state == .answering else { return .none }
        let deadline = now + timeouts.idle
        state = .awaitingHead(deadline: deadline)
        return .arm(deadline)
    }

    public func timerFired(now: NIODeadline) -> Action {
        switch state {
        case .awaitingHead(let deadline), .readingBody(let deadline):
            return now >= deadline ? .close : .arm(deadline)
        case .answering:
            return .none
        }
    }
}
