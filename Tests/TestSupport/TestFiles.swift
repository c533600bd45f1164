import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// A folder under the system temp directory, removed when the test ends.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init() {
        path = NSTemporaryDirectory() + "logoutd-test-" + UUID().uuidString
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    public func file(_ name: String) -> String { path + "/" + name }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}

/// A TCP port on 127.0.0.1 for a child process to listen on, that was free a moment ago.
///
/// Taken below the kernel's ephemeral range (32768 and up on Linux) and never handed out twice
/// by this process: a port the kernel picked (bind to 0) is ephemeral, so between our check and
/// the child's bind the kernel could give it to any other socket of the test run (a test server,
/// the source port of an outgoing connection), which failed a daemon start with EADDRINUSE.
public func freeLoopbackPort() -> Int {
    while true {
        let port = nextCandidatePort.withLock { next -> Int in
            defer { next = next >= 32_000 ? 20_000 : next + 1 }
            return next
        }
        if canBindLoopback(port) { return port }
    }
}

private let nextCandidatePort = Mutex(20_000 + Int.random(in: 0..<12_000))

private func canBindLoopback(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = UInt16(port).bigEndian
    let length = socklen_t(MemoryLayout<sockaddr_in>.size)
    return withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    } == 0
}

/// Polls `condition` until it holds or `timeout` passes; returns whether it held. The default
/// bound is for what must happen: a loaded 2-core machine can stall a test process's threads for
/// seconds, and only a failing test waits it out.
public func eventually(
    timeout: Double = 30,
    interval: Double = 0.02,
    _ condition: () async throws -> Bool
) async rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try await condition() { return true }
        try? await Task.sleep(for: .milliseconds(Int64(interval * 1000)))
    }
    return try await condition()
}
