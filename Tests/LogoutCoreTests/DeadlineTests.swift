import Foundation
import LogoutCore
import Synchronization
import Testing

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

    // The bounds are far from the durations they compare with: at the start of the full suite on
    // a 2-core machine a 0.2 s deadline was answered after up to 7 s (the cooperative threads
    // busy with other tests). These tests tell "answered by the deadline" from "waited for the
    // body"; they do not measure latency.
    @Test func aBodyThatIgnoresCancellationDoesNotHoldItsCaller() async throws {
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.milliseconds(200), timedOut: { TimedOut() }) {
                await Self.deaf(for: 120)
                return 1
            }
        }
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func aBodyWithinItsDeadlineGivesItsResultOrItsError() async throws {
        let value = try await withDeadline(.seconds(60), timedOut: { TimedOut() }) { 42 }
        #expect(value == 42)
        struct Refused: Error {}
        await #expect(throws: Refused.self) {
            try await withDeadline(.seconds(60), timedOut: { TimedOut() }) { () async throws -> Int in throw Refused() }
        }
    }

    /// A cancelled caller cancels the body and gets its answer (here the body's own error).
    @Test func aCancelledCallerCancelsTheBody() async throws {
        let started = ContinuousClock.now
        let running = Atomic<Bool>(false)
        let task = Task {
            try await withDeadline(.seconds(300), timedOut: { TimedOut() }) {
                running.store(true, ordering: .releasing)
                try await Task.sleep(for: .seconds(300))
                return 1
            }
        }
        // Cancelled once the body runs, so that it is the body's wait that must end.
        while !running.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
        task.cancel()
        await #expect(throws: CancellationError.self) { try await task.value }
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    /// A clock whose sleeps end at once: the deadline is read on the clock it is given.
    struct ImmediateClock: Clock {
        var now: ContinuousClock.Instant { .now }
        var minimumResolution: Duration { .zero }
        func sleep(until deadline: ContinuousClock.Instant, tolerance: Duration?) async throws {
            try Task.checkCancellation()
        }
    }

    @Test func theDeadlineIsKeptOnTheGivenClock() async throws {
        let started = ContinuousClock.now
        await #expect(throws: TimedOut.self) {
            try await withDeadline(.seconds(3600), clock: ImmediateClock(), timedOut: { TimedOut() }) {
                await Self.deaf(for: 120)
                return 1
            }
        }
        #expect(ContinuousClock.now - started < .seconds(60))
    }
}
