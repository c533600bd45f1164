#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The sd_notify datagram protocol, written directly so logoutd does not link libsystemd:
/// one `KEY=VALUE` line per state, sent to the `AF_UNIX` datagram socket in `$NOTIFY_SOCKET`
/// (a path, or `@name` for the abstract namespace).
struct SystemdNotifier: Sendable {
    let socketPath: String

    /// `nil` when systemd did not ask for notifications (not under `Type=notify`).
    init?(environment: [String: String]) {
        guard let path = environment["NOTIFY_SOCKET"], !path.isEmpty, path.utf8.count < 108 else { return nil }
        guard path.hasPrefix("/") || path.hasPrefix("@") else { return nil }
        socketPath = path
    }

    /// The watchdog interval systemd expects pings within, when `WatchdogSec=` is set for us.
    static func watchdogInterval(environment: [String: String], pid: Int32 = getpid()) -> Duration? {
        guard let text = environment["WATCHDOG_USEC"], let usec = UInt64(text), usec > 0 else { return nil }
        if let owner = environment["WATCHDOG_PID"], Int32(owner) != pid { return nil }
        return .microseconds(usec)
    }

    struct SendError: Error, CustomStringConvertible {
        let errno: Int32
        var description: String { "cannot notify systemd: \(String(cString: strerror(errno)))" }
    }

    func send(_ state: String) throws(SendError) {
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw SendError(errno: errno) }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(socketPath.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &address.sun_path) { path in
            for (index, byte) in bytes.enumerated() { path[index] = byte }
        }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        let message = Array(state.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                message.withUnsafeBytes { buffer in
                    sendto(fd, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL), socketAddress, length)
                }
            }
        }
        guard sent == message.count else { throw SendError(errno: sent < 0 ? errno : EMSGSIZE) }
    }
}
