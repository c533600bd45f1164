import Foundation
import Testing

@testable import LogoutPostgres

/// `withDeadline`: the caller has its answer by the deadline whatever the body does, which a
/// task group cannot promise (it waits for a cancelled child that does not stop).
struct DeadlineTests {
    struct TimedOut: Error {}

    /// A wait that ignores cancellation, as a statement on a closed connection did.
    static func deaf(for seconds: Double) async {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { continuation.resume() }
        }
    }

    @Test func aBodyThatIgnoresCancellationDoesNotHoldItsCaller() async throws {
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(200), timedOut: { TimedOut() }) {
                await Self.deaf(for: 10)
                return 1
            }
        }
        #expect(ContinuousClock.now - started < .seconds(5))
    }

    @Test func aBodyWithinItsDeadlineGivesItsResultOrItsError() async throws {
        let value = try await withDeadline(.seconds(5), timedOut: { TimedOut() }) { 42 }
        #expect(value == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(5), timedOut: { TimedOut() }) { () async throws -> Int in throw Refused() }
        }
    }

    /// A cancelled caller cancels the body and gets its answer (here the body's own error).
    @Test func aCancelledCallerCancelsTheBody() async throws {
        let started = ContinuousClock.now
        let task = Task {
            try await withDeadline(.seconds(30), timedOut: { TimedOut() }) {
                try await Task.sleep(for: .seconds(30))
                return 1
            }
        }
        try await Task.sleep(for: .milliseconds(100))
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(5))
    }
}
