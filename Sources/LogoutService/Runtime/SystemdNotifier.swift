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
        let reason: String
        var description: String { "cannot notify systemd: \(reason)" }
    }

    func send(_ state: String) throws(SendError) {
        do {
            try UnixDatagram.send(Array(state.utf8), to: socketPath)
        } catch {
            throw SendError(reason: error.description)
        }
    }
}
