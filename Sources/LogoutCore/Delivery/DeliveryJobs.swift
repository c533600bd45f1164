/// Back-channel logout deliveries as jobs of the queue: one per RP and subject, their target the
/// RP, ended without an attempt by the late-logout guard (RES-5), read by `DeliveryClassifier`.
public enum DeliveryJobs: QueueJobKind {
    public static var hasBreakers: Bool { true }

    public static func endWithoutAttempt(_ delivery: ClaimedDelivery, now: Timestamp) -> AttemptReport? {
        guard LateLogoutGuard.shouldSkip(deliverySid: delivery.sid, newerSessionExists: delivery.newerSessionExists)
        else { return nil }
        return AttemptReport(
            deliveryID: delivery.id,
            clientID: delivery.clientID,
            eventID: delivery.eventID,
            attempt: nil,
            transition: DeliveryTransition.skipped(
                attempts: delivery.attempts,
                reason: LateLogoutGuard.reason,
                at: now
            ),
            leaseStamp: delivery.leaseStamp
        )
    }

    public static func report(
        _ outcome: DeliveryStateMachine.AttemptOutcome,
        settings: QueueSettings,
        using generator: inout some RandomNumberGenerator
    ) -> AttemptReport {
        let delivery = outcome.job
        let transition = DeliveryTransition.afterAttempt(
            outcome.result,
            attemptsBefore: delivery.attempts,
            createdAt: delivery.createdAt,
            finishedAt: outcome.startedAt + outcome.duration,
            policy: settings.retryPolicy,
            using: &generator
        )
        return outcome.report(transition, breakerPolicy: settings.breaker)
    }
}

/// The delivery engine: the queue engine running deliveries.
public typealias DeliveryStateMachine = QueueStateMachine<DeliveryJobs>

extension ClaimedDelivery: QueueJob {
    public var target: String { clientID }
}

extension QueueStateMachine.AttemptOutcome where Kind == DeliveryJobs {
    public var delivery: ClaimedDelivery { job }

    public init(
        delivery: ClaimedDelivery,
        result: AttemptResult,
        startedAt: Timestamp,
        duration: Duration,
        jti: String,
        traceID: String? = nil
    ) {
        self.init(job: delivery, result: result, startedAt: startedAt, duration: duration, jti: jti, traceID: traceID)
    }

    /// What the store keeps of this attempt, once the machine has decided its `transition`.
    func report(_ transition: DeliveryTransition, breakerPolicy: CircuitBreaker.Policy) -> AttemptReport {
        var statusCode: Int?
        var rpError: String?
        var remoteAddress: String?
        switch result {
        case .response(let answer):
            statusCode = answer.status
            rpError = answer.rpError
            remoteAddress = answer.remoteAddress
        case .transportFailure(_, let detail):
            rpError = detail
        }
        let record = AttemptRecord(
            deliveryID: delivery.id,
            attempt: transition.attempts,
            startedAt: startedAt,
            duration: duration,
            statusCode: statusCode,
            errorClass: transition.errorClass,
            jti: jti,
            rpError: rpError,
            nextAttemptAt: transition.nextAttemptAt,
            remoteAddress: remoteAddress,
            traceID: traceID
        )
        return AttemptReport(
            deliveryID: delivery.id,
            clientID: delivery.clientID,
            eventID: delivery.eventID,
            attempt: record,
            transition: transition,
            breaker: BreakerInput(verdict: DeliveryClassifier.classify(result), policy: breakerPolicy),
            leaseStamp: delivery.leaseStamp
        )
    }
}
