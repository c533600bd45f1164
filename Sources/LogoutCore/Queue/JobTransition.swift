/// What one attempt does to a queued job, whatever the job's kind: the one retry/give-up path
/// of the queue. Each kind classifies an answer into a `DeliveryClassifier.Verdict` its
/// own way (a delivery and a token revocation read the same HTTP status differently); what a
/// verdict then means — done, retried at the policy's next time, or failed with its reason —
/// is decided here, once.
public struct JobTransition: Sendable, Equatable {
    public enum State: Sendable, Equatable {
        case done
        case retrying
        case failed
    }

    public var state: State
    public var attempts: Int
    /// Set when retrying.
    public var nextAttemptAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    /// Why the job failed.
    public var reason: String?
    public var errorClass: ErrorClass?
    /// Done with a 2xx answer other than the standard ones.
    public var nonStandardSuccess: Bool
    /// When the job reached its end (done or failed).
    public var finishedAt: Timestamp?

    /// - Parameters:
    ///   - attemptsBefore: attempts recorded before this one.
    ///   - createdAt: when the job was queued (or queued again): the retry window counts from it.
    ///   - finishedAt: when this attempt ended.
    public static func afterAttempt(
        _ verdict: DeliveryClassifier.Verdict,
        statusCode: Int?,
        attemptsBefore: Int,
        createdAt: Timestamp,
        finishedAt: Timestamp,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> JobTransition {
        let attempts = attemptsBefore + 1
        switch verdict {
        case .delivered(let standard):
            return JobTransition(
                state: .done,
                attempts: attempts,
                lastStatusCode: statusCode,
                nonStandardSuccess: !standard,
                finishedAt: finishedAt
            )
        case .permanent(let errorClass, let reason):
            return failed(
                reason: reason,
                lastError: reason,
                errorClass,
                statusCode: statusCode,
                attempts,
                at: finishedAt
            )
        case .retryable(let errorClass, let reason, let retryAfter):
            switch policy.decide(
                attemptsMade: attempts,
                createdAt: createdAt,
                now: finishedAt,
                retryAfter: retryAfter,
                using: &generator
            ) {
            case .retry(let at):
                return JobTransition(
                    state: .retrying,
                    attempts: attempts,
                    nextAttemptAt: at,
                    lastStatusCode: statusCode,
                    lastError: reason,
                    errorClass: errorClass
                )
            case .giveUp(let giveUpReason):
                return failed(
                    reason: "\(giveUpReason); last error: \(reason)",
                    lastError: reason,
                    errorClass,
                    statusCode: statusCode,
                    attempts,
                    at: finishedAt
                )
            }
        }
    }

    /// The same for an attempt's raw result, read by the kind's `classify`.
    public static func afterAttempt(
        _ result: AttemptResult,
        classifiedBy classify: (AttemptResult) -> DeliveryClassifier.Verdict,
        attemptsBefore: Int,
        createdAt: Timestamp,
        finishedAt: Timestamp,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> JobTransition {
        var statusCode: Int?
        if case .response(let answer) = result { statusCode = answer.status }
        return afterAttempt(
            classify(result),
            statusCode: statusCode,
            attemptsBefore: attemptsBefore,
            createdAt: createdAt,
            finishedAt: finishedAt,
            policy: policy,
            using: &generator
        )
    }

    /// A job that cannot be attempted at all (what it needs is gone): it fails without counting
    /// an attempt.
    public static func cannotAttempt(reason: String, attemptsBefore: Int, now: Timestamp) -> JobTransition {
        failed(reason: reason, lastError: reason, nil, statusCode: nil, attemptsBefore, at: now)
    }

    private static func failed(
        reason: String,
        lastError: String,
        _ errorClass: ErrorClass?,
        statusCode: Int?,
        _ attempts: Int,
        at now: Timestamp
    ) -> JobTransition {
        JobTransition(
            state: .failed,
            attempts: attempts,
            lastStatusCode: statusCode,
            lastError: lastError,
            reason: reason,
            errorClass: errorClass,
            finishedAt: now
        )
    }

    init(
        state: State,
        attempts: Int,
        nextAttemptAt: Timestamp? = nil,
        lastStatusCode: Int? = nil,
        lastError: String? = nil,
        reason: String? = nil,
        errorClass: ErrorClass? = nil,
        nonStandardSuccess: Bool = false,
        finishedAt: Timestamp? = nil
    ) {
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatusCode = lastStatusCode
        self.lastError = lastError
        self.reason = reason
        self.errorClass = errorClass
        self.nonStandardSuccess = nonStandardSuccess
        self.finishedAt = finishedAt
    }
}
