/// SET pushes (RFC 8935, SSF-4) as jobs of the one queue engine: the deliveries' retry policy,
/// window and circuit breaker, read by RFC 8935's answers (`PushAnswer`), with a stream as the
/// target whose caps, slow start and breaker its SETs share.
public enum SecurityEventJobs: QueueJobKind {
    /// A receiver down for hours holds its stream's SETs behind one probe at a time, as an RP's
    /// breaker holds its deliveries.
    public static var hasBreakers: Bool { true }

    /// RFC 8935's reading of the answer, as the stored breaker is fed (`401` or `404` is a
    /// retryable failure of a receiver, not an RP's permanent refusal).
    public static func breakerVerdict(_ result: AttemptResult) -> DeliveryClassifier.Verdict {
        PushAnswer.classify(result)
    }

    public static func endWithoutAttempt(_ job: ClaimedSecurityEvent, now: Timestamp) -> SecurityEventReport? {
        nil
    }

    public static func report(
        _ outcome: QueueStateMachine<SecurityEventJobs>.AttemptOutcome,
        settings: QueueSettings,
        using generator: inout some RandomNumberGenerator
    ) -> SecurityEventReport {
        let job = outcome.job
        let finishedAt = outcome.startedAt + outcome.duration
        let transition: JobTransition
        var breaker: BreakerInput?
        if let reason = outcome.notAttempted {
            transition = .cannotAttempt(reason: reason, attemptsBefore: job.attempts, now: finishedAt)
        } else {
            breaker = BreakerInput(verdict: breakerVerdict(outcome.result), policy: settings.breaker)
            transition = .afterAttempt(
                outcome.result,
                classifiedBy: PushAnswer.classify,
                attemptsBefore: job.attempts,
                createdAt: job.createdAt,
                finishedAt: finishedAt,
                policy: settings.retryPolicy,
                using: &generator
            )
        }
        return SecurityEventReport(
            id: job.id,
            streamID: job.streamID,
            receiver: job.receiver,
            jti: job.jti,
            transition: transition,
            breaker: breaker,
            finishedAt: finishedAt,
            leaseStamp: job.leaseStamp
        )
    }
}

/// A push's outcome for the store, with what the log says of it.
public struct SecurityEventReport: Sendable, Equatable {
    /// What the SET becomes: delivered or failed when the push ended; nil when it is retried,
    /// which keeps the SET's status (one paused while in flight stays held).
    public var status: StoredSecurityEvent.Status? {
        switch transition.state {
        case .done: .delivered
        case .failed: .failed
        case .retrying: nil
        }
    }

    public var id: Int64
    public var streamID: String
    public var receiver: String
    public var jti: String
    public var transition: JobTransition
    /// What the attempt tells the stream's breaker; nil when no attempt was made.
    public var breaker: BreakerInput?
    /// When the attempt ended: the breaker's clock.
    public var finishedAt: Timestamp
    /// The lease the push was made under; `nil`: whatever lease this replica holds.
    public var leaseStamp: LeaseStamp?

    public init(
        id: Int64,
        streamID: String,
        receiver: String = "",
        jti: String,
        transition: JobTransition,
        breaker: BreakerInput? = nil,
        finishedAt: Timestamp = .distantPast,
        leaseStamp: LeaseStamp? = nil
    ) {
        self.leaseStamp = leaseStamp
        self.id = id
        self.streamID = streamID
        self.receiver = receiver
        self.jti = jti
        self.transition = transition
        self.breaker = breaker
        self.finishedAt = finishedAt
    }
}
