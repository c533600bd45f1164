import Dispatch
import Foundation
import Synchronization

/// A command run to its end off the Swift concurrency pool: waiting for a child blocks a
/// thread, and on a 2-core machine the cooperative pool has two, which every dispatcher and
/// test server of the suite shares. Blocking them starved deliveries for seconds.
public struct ChildProcess: Sendable {
    public let status: Int32
    public let output: String
    public let errors: String

    public static func run(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]? = nil,
        mergeErrors: Bool = false
    ) async throws -> ChildProcess {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                do {
                    continuation.resume(
                        returning: try blocking(
                            executable,
                            arguments,
                            environment: environment,
                            mergeErrors: mergeErrors
                        )
                    )
                } catch {
                    continuation.resume(throwing: error)
                }
            }
        }
    }

    static func blocking(
        _ executable: String,
        _ arguments: [String],
        environment: [String: String]?,
        mergeErrors: Bool
    ) throws -> ChildProcess {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        let output = Pipe()
        let errors = mergeErrors ? output : Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Standard error is drained on its own so that neither pipe can fill and stall the child.
        let errorData = Mutex<Data>(Data())
        let drained = DispatchSemaphore(value: 0)
        if !mergeErrors {
            DispatchQueue.global().async {
                let data = errors.fileHandleForReading.readDataToEndOfFile()
                errorData.withLock { $0 = data }
                drained.signal()
            }
        }
        let out = output.fileHandleForReading.readDataToEndOfFile()
        if !mergeErrors { drained.wait() }
        process.waitUntilExit()
        return ChildProcess(
            status: process.terminationStatus,
            output: String(decoding: out, as: UTF8.self),
            errors: String(decoding: errorData.withLock { $0 }, as: UTF8.self)
        )
    }
}
