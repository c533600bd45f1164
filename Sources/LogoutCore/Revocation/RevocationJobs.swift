/// Upstream token revocations (BR-8) as jobs of the queue: their target the issuer whose
/// endpoint they call (its cap and slow start shared by its tokens), read by RFC 7009's rules.
public enum RevocationJobs: QueueJobKind {
    public static func endWithoutAttempt(_ job: ClaimedRevocation, now: Timestamp) -> RevocationReport? { nil }

    public static func report(
        _ outcome: QueueStateMachine<RevocationJobs>.AttemptOutcome,
        settings: QueueSettings,
        using generator: inout some RandomNumberGenerator
    ) -> RevocationReport {
        let revocation = outcome.job
        let finishedAt = outcome.startedAt + outcome.duration
        let transition: RevocationTransition
        if let reason = outcome.notAttempted {
            transition = RevocationRules.cannotAttempt(
                reason: reason,
                attemptsBefore: revocation.attempts,
                now: finishedAt
            )
        } else {
            transition = RevocationRules.afterAttempt(
                outcome.result,
                attemptsBefore: revocation.attempts,
                createdAt: revocation.createdAt,
                finishedAt: finishedAt,
                policy: settings.retryPolicy,
                using: &generator
            )
        }
        return RevocationReport(revocation, transition)
    }
}

/// The revocation engine: the queue engine running revocations.
public typealias RevocationStateMachine = QueueStateMachine<RevocationJobs>

extension ClaimedRevocation: QueueJob {
    public var target: String { issuerName }
}

/// An attempt's outcome for the store, with what the log says of it.
public struct RevocationReport: Sendable, Equatable {
    public var id: Int64
    public var eventID: Int64
    public var issuerName: String
    public var tokenType: RevocationTokenType
    public var transition: RevocationTransition
    /// The lease the attempt was made under; `nil`: whatever lease this replica holds.
    public var leaseStamp: LeaseStamp?

    public init(_ revocation: ClaimedRevocation, _ transition: RevocationTransition) {
        self.init(
            id: revocation.id,
            eventID: revocation.eventID,
            issuerName: revocation.issuerName,
            tokenType: revocation.tokenType,
            transition: transition,
            leaseStamp: revocation.leaseStamp
        )
    }

    public init(
        id: Int64,
        eventID: Int64 = 0,
        issuerName: String = "",
        tokenType: RevocationTokenType = .refreshToken,
        transition: RevocationTransition,
        leaseStamp: LeaseStamp? = nil
    ) {
        self.leaseStamp = leaseStamp
        self.id = id
        self.eventID = eventID
        self.issuerName = issuerName
        self.tokenType = tokenType
        self.transition = transition
    }
}
