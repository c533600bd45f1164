import Synchronization

/// Runs `body` in a task of its own and answers when it ends or when `timeout` has passed on
/// `clock`, whichever comes first; at the deadline the body is cancelled and left to end by itself.
///
/// A task group waits for its cancelled children, so a child stuck on something that ignores
/// cancellation would hold its caller for ever. That happened: a statement written to a
/// connection the server had just closed is never answered by postgres-nio 1.33, and the
/// delivery loop waited on it long after PostgreSQL was back, delivering nothing. This is what
/// bounds every database operation by `database.busy_timeout` and every key fetch and address
/// resolution by its timeout, whatever the library underneath does.
///
/// It lives in the core although it starts tasks: it does no I/O, both the PostgreSQL store and
/// outbound HTTP need it, and the clock is a parameter, so tests can drive it.
public func withDeadline<T: Sendable, C: Clock<Duration>>(
    _ timeout: Duration,
    clock: C = ContinuousClock(),
    timedOut: @escaping @Sendable () -> any Error,
    _ body: @escaping @Sendable () async throws -> T
) async throws -> T {
    let outcome = FirstOutcome<T>()
    let work = Task {
        do {
            outcome.settle(.success(try await body()))
        } catch {
            outcome.settle(.failure(error))
        }
    }
    let timer = Task {
        do { try await clock.sleep(for: timeout, tolerance: nil) } catch { return }
        if outcome.settle(.failure(timedOut())) { work.cancel() }
    }
    defer { timer.cancel() }
    // A cancelled caller cancels the body and still waits for it, up to the deadline.
    return try await withTaskCancellationHandler {
        try await outcome.value()
    } onCancel: {
        work.cancel()
    }
}

/// The first result settled, handed to its one waiter whether it came before or after it.
final class FirstOutcome<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    /// - Returns: whether this result was the first (the others are dropped).
    @discardableResult
    func settle(_ result: Result<T, any Error>) -> Bool {
        let (first, waiter) = state.withLock { state -> (Bool, CheckedContinuation<T, any Error>?) in
            guard state.result == nil else { return (false, nil) }
            state.result = result
            defer { state.waiter = nil }
            return (true, state.waiter)
        }
        waiter?.resume(with: result)
        return first
    }

    func value() async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            let settled = state.withLock { state -> Result<T, any Error>? in
                if let result = state.result { return result }
                state.waiter = continuation
                return nil
            }
            if let settled { continuation.resume(with: settled) }
        }
    }
}
