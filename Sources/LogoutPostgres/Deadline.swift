import Synchronization

/// Runs `body` in a task of its own and answers when it ends or when `timeout` has passed,
/// whichever comes first; at the deadline the body is cancelled and left to end by itself.
///
/// A task group waits for its cancelled children, so a child stuck on something that ignores
/// cancellation would hold its caller for ever. That happened: a statement written to a
/// connection the server had just closed is never answered by postgres-nio 1.33, and the
/// delivery loop waited on it long after PostgreSQL was back, delivering nothing. This is what
/// makes every database operation answer within `database.busy_timeout`, whatever the driver does.
func withDeadline<T: Sendable>(
    _ timeout: Duration,
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
        do { try await Task.sleep(for: timeout) } catch { return }
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
