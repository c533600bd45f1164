/// A job of the queue, as the engine sees it: an id to lease, a target whose caps and slow
/// start it shares, and what its retries count from.
public protocol QueueJob: Sendable, Equatable {
    var id: Int64 { get }
    /// What the per-target cap and slow start apply to: an RP, an issuer's revocation endpoint.
    var target: String { get }
    /// Attempts made so far.
    var attempts: Int { get }
    /// When the job was queued (or queued again): the retry window counts from it.
    var createdAt: Timestamp { get }
}

/// What differs between kinds of jobs, for the one queue engine (`QueueStateMachine`): what
/// ends a job without an attempt, and what a finished attempt makes of it.
public protocol QueueJobKind: Sendable {
    associatedtype Job: QueueJob
    /// What the store keeps of an outcome.
    associatedtype Report: Sendable, Equatable

    /// Whether the store keeps a circuit breaker per target for this kind, fed by its outcomes:
    /// then the engine holds back a target's work from the moment its outcomes would open it.
    static var hasBreakers: Bool { get }

    /// How an attempt's result counts towards its target's breaker: as the store's breaker
    /// will count it, so the engine holds back a target at the same failures.
    static func breakerVerdict(_ result: AttemptResult) -> DeliveryClassifier.Verdict

    /// The report of a job that must end without an attempt, or `nil` to attempt it.
    static func endWithoutAttempt(_ job: Job, now: Timestamp) -> Report?

    /// What an attempt's outcome makes of its job, with the queue's retry policy.
    static func report(
        _ outcome: QueueStateMachine<Self>.AttemptOutcome,
        settings: QueueSettings,
        using generator: inout some RandomNumberGenerator
    ) -> Report
}

extension QueueJobKind {
    public static var hasBreakers: Bool { false }

    public static func breakerVerdict(_ result: AttemptResult) -> DeliveryClassifier.Verdict {
        DeliveryClassifier.classify(result)
    }
}
