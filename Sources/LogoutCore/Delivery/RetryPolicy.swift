/// When to try a failed delivery again, and when to give up (rulebook Q-2).
///
/// The delay before attempt `n + 1` is `initial × multiplier^(n−1)`, capped at `maximum`, then
/// spread by ±`jitter` so that RPs that failed together do not all retry in the same second. With
/// the defaults (5 s, ×4, 1 h cap, ±20 %, 10 attempts, 24 h window):
///
/// | after attempt | delay     | cumulative |
/// |---------------|-----------|------------|
/// | 1             | 5 s       | 5 s        |
/// | 2             | 20 s      | 25 s       |
/// | 3             | 1 m 20 s  | 1 m 45 s   |
/// | 4             | 5 m 20 s  | 7 m 5 s    |
/// | 5             | 21 m 20 s | 28 m 25 s  |
/// | 6…9           | 1 h       | ≈ 4 h 28 m |
///
/// The exponent is capped before it is computed, so a large attempt count cannot overflow.
public struct RetryPolicy: Sendable, Equatable {
    public var maximumAttempts: Int
    public var initialBackoff: Duration
    public var maximumBackoff: Duration
    public var multiplier: Double
    /// No attempt is scheduled later than this after the delivery was created.
    public var window: Duration
    /// Relative spread of each delay, 0.2 for ±20 %.
    public var jitter: Double

    public init(
        maximumAttempts: Int = 10,
        initialBackoff: Duration = .seconds(5),
        maximumBackoff: Duration = .seconds(3600),
        multiplier: Double = 4,
        window: Duration = .seconds(86_400),
        jitter: Double = 0.2
    ) {
        self.maximumAttempts = maximumAttempts
        self.initialBackoff = initialBackoff
        self.maximumBackoff = maximumBackoff
        self.multiplier = multiplier
        self.window = window
        self.jitter = jitter
    }

    /// The delay without jitter after `attempt` failed attempts (1-based).
    public func baseDelay(afterAttempt attempt: Int) -> Duration {
        let exponent = max(0, min(attempt - 1, 64))
        var delay = initialBackoff
        for _ in 0..<exponent {
            delay = delay * multiplier
            if delay >= maximumBackoff { return maximumBackoff }
        }
        return min(delay, maximumBackoff)
    }

    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> Duration {
        let base = baseDelay(afterAttempt: attempt)
        guard jitter > 0 else { return base }
        return max(.zero, base * (1 + Double.random(in: -jitter...jitter, using: &generator)))
    }

    public enum Decision: Sendable, Equatable {
        case retry(at: Timestamp)
        case giveUp(reason: String)
    }

    /// - Parameters:
    ///   - attemptsMade: attempts so far, including the one that just failed.
    ///   - createdAt: when the delivery was created (or queued again by an admin).
    ///   - retryAfter: the RP's requested delay, honoured up to `maximumBackoff`.
    public func decide(
        attemptsMade: Int,
        createdAt: Timestamp,
        now: Timestamp,
        retryAfter: Duration?,
        using generator: inout some RandomNumberGenerator
    ) -> Decision {
        if attemptsMade >= maximumAttempts {
            return .giveUp(reason: "gave up after \(attemptsMade) attempts")
        }
        var wait = delay(afterAttempt: attemptsMade, using: &generator)
        if let retryAfter {
            wait = max(wait, min(retryAfter, maximumBackoff))
        }
        let next = now + wait
        if next > createdAt + window {
            return .giveUp(reason: "gave up: the retry window of \(formatDuration(window)) is over")
        }
        return .retry(at: next)
    }
}
