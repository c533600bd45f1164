import Crypto
import Dispatch
import Foundation

/// ES256 as logoutd does it (swift-crypto's P-256, the same BoringSSL code), on every core at
/// once: a fresh signature per delivery (OUT-3), a verification per logout.
enum SigningFloor {
    struct Figures {
        /// CPU per operation on one thread: the floor (busy sibling threads of a core make
        /// each operation cost more, which would lift the floor).
        var signMicroseconds: Double
        var verifyMicroseconds: Double
        /// Operations per second with every core at it.
        var signsPerSecond: Double
        var verifiesPerSecond: Double
    }

    /// A compact JWS signing input the size of logoutd's logout tokens.
    static let message = Data(repeating: UInt8(ascii: "x"), count: 330)

    static func measure(seconds: Double) throws -> Figures {
        let key = P256.Signing.PrivateKey()
        let signature = try key.signature(for: message)
        let publicKey = key.publicKey
        let signOnce: @Sendable () throws -> Void = { _ = try key.signature(for: message) }
        let verifyOnce: @Sendable () throws -> Void = {
            guard publicKey.isValidSignature(signature, for: message) else {
                throw FloorError("a valid signature failed")
            }
        }
        let cores = ProcessInfo.processInfo.activeProcessorCount
        return Figures(
            signMicroseconds: try onCores(1, seconds: seconds, signOnce).cpu,
            verifyMicroseconds: try onCores(1, seconds: seconds, verifyOnce).cpu,
            signsPerSecond: try onCores(cores, seconds: seconds, signOnce).rate,
            verifiesPerSecond: try onCores(cores, seconds: seconds, verifyOnce).rate
        )
    }

    /// Runs `operation` on `cores` threads for `seconds`: CPU µs per operation, and operations
    /// per second of wall time on those threads together.
    static func onCores(
        _ cores: Int,
        seconds: Double,
        _ operation: @escaping @Sendable () throws -> Void
    ) throws
        -> (cpu: Double, rate: Double)
    {
        let counts = UnsafeMutableBufferPointer<Int>.allocate(capacity: cores)
        defer { counts.deallocate() }
        counts.initialize(repeating: 0)
        let failure = LockedError()
        let started = Date()
        let deadline = started.addingTimeInterval(seconds)
        let cpuBefore = CPUTime.microseconds()
        nonisolated(unsafe) let shared = counts
        DispatchQueue.concurrentPerform(iterations: cores) { core in
            var done = 0
            do {
                while true {
                    for _ in 0..<50 { try operation() }
                    done += 50
                    if Date() >= deadline { break }
                }
            } catch {
                failure.set(error)
            }
            shared[core] = done
        }
        if let error = failure.get() { throw error }
        let total = counts.reduce(0, +)
        let cpu = CPUTime.microseconds() - cpuBefore
        return (cpu / Double(total), Double(total) / Date().timeIntervalSince(started))
    }
}

/// The first error of the threads.
final class LockedError: @unchecked Sendable {
    private let lock = NSLock()
    private var error: (any Error)?

    func set(_ error: any Error) { lock.withLock { self.error = self.error ?? error } }
    func get() -> (any Error)? { lock.withLock { error } }
}

struct FloorError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
