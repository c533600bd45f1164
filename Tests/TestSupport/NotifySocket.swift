import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A fake systemd: an `AF_UNIX` datagram socket that records every `sd_notify` message with the
/// time it arrived, read on its own thread so tests can sleep and look.
public final class NotifySocket: Sendable {
    public struct Message: Sendable {
        public let text: String
        public let at: ContinuousClock.Instant
    }

    /// What `NOTIFY_SOCKET` should be set to (`@name` for an abstract socket).
    public let address: String
    private let fd: Int32
    private let received = Mutex<[Message]>([])
    private let stopped = Atomic<Bool>(false)
    private let onMessage: @Sendable (String) -> Void

    /// - Parameter onMessage: runs on the reader thread as each message arrives, before it is
    ///   recorded (to check the world at that instant, e.g. that the listeners are bound).
    public init(address: String, onMessage: @escaping @Sendable (String) -> Void = { _ in }) throws {
        self.address = address
        self.onMessage = onMessage
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var name = sockaddr_un()
        name.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &name.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let bound = withUnsafePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        guard bound == 0 else { throw POSIXError(.init(rawValue: errno) ?? .EINVAL) }
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in self.read() }
        thread.start()
    }

    private func read() {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while !stopped.load(ordering: .relaxed) {
            let count = recv(fd, &buffer, buffer.count, 0)
            guard count > 0 else { continue }
            let text = String(decoding: buffer[..<count], as: UTF8.self)
            onMessage(text)
            received.withLock { $0.append(Message(text: text, at: .now)) }
        }
        close(fd)
    }

    public var messages: [Message] { received.withLock { $0 } }

    /// Messages that contain `line` as one of their lines, such as `WATCHDOG=1`.
    public func messages(
        with line: String,
        from start: ContinuousClock.Instant? = nil,
        to end: ContinuousClock.Instant? = nil
    )
        -> [Message]
    {
        messages.filter { message in
            message.text.split(separator: "\n").contains { $0 == line }
                && start.map { message.at >= $0 } ?? true && end.map { message.at < $0 } ?? true
        }
    }

    public func stop() { stopped.store(true, ordering: .relaxed) }
}

/// Whether a TCP connection to 127.0.0.1:`port` is accepted right now.
public func acceptsConnections(port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
        }
    }
}
