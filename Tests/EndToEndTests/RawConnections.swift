import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// Plain TCP connections that send part of a request and then wait: a slow-client attack, in the
/// test's own process (loopback only).
final class RawConnections {
    private(set) var descriptors: [Int32] = []

    /// Raises this process's open-files soft limit so that it can hold the attack's connections.
    static func allowOpenFiles(_ count: Int) {
        var limit = rlimit()
        getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        if limit.rlim_cur < rlim_t(count) {
            limit.rlim_cur = min(limit.rlim_max, rlim_t(count))
            setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        }
    }

    /// Opens `count` connections to 127.0.0.1:`port`, each sending `prefix` and nothing more.
    /// Returns how many connected.
    @discardableResult
    func open(_ count: Int, port: Int, prefix: String) -> Int {
        for _ in 0..<count {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            guard fd >= 0 else { break }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            guard connected == 0 else {
                close(fd)
                break
            }
            _ = prefix.withCString { send(fd, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
            descriptors.append(fd)
        }
        return descriptors.count
    }

    /// How many of the connections the server has closed (a read returns end of file or an error).
    func closedByPeer() -> Int {
        var closed = 0
        var buffer = [UInt8](repeating: 0, count: 4096)
        for fd in descriptors {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 0) > 0 else { continue }
            let read = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            if read <= 0 { closed += 1 }
        }
        return closed
    }

    func closeAll() {
        for fd in descriptors { close(fd) }
        descriptors = []
    }

    deinit { closeAll() }
}
