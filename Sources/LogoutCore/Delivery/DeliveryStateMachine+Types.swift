/// The vocabulary of `DeliveryStateMachine`: its settings, its clock, its actions and what an
/// attempt reports.
extension DeliveryStateMachine {
    public struct Settings: Sendable, Equatable {
        /// Attempts in flight, all RPs together.
        public var concurrency: Int
        /// Attempts in flight to one RP.
        public var perRPConcurrency: Int
        public var retryPolicy: RetryPolicy
        /// The longest an attempt may take.
        public var attemptTimeout: Duration
        /// On a stop, how long attempts in flight may take to finish before they are cancelled.
        public var shutdownTimeout: Duration
        /// How long an idle engine sleeps before looking at the queue again.
        public var idlePoll: Duration
        /// How soon to look again when due work could not be claimed (its RP's slots were full).
        public var busyPoll: Duration
        /// How many deliveries per slot are claimed ahead.
        public var batchFactor: Int
        /// A wall-clock move larger than this against the monotonic clock is a step.
        public var clockStepTolerance: Duration
        public var breaker: CircuitBreaker.Policy
        /// DEL-7: an RP gets one slot until it answers (any HTTP status), and again after an
        /// attempt that got no answer (timeout, refused, reset); then up to `perRPConcurrency`.
        /// RPs that hang then hold one slot each, not `perRPConcurrency`, of the global cap the
        /// healthy ones share.
        public var slowStart: Bool

        public init(
            concurrency: Int = 64,
            perRPConcurrency: Int = 8,
            retryPolicy: RetryPolicy = RetryPolicy(),
            attemptTimeout: Duration = .seconds(10),
            shutdownTimeout: Duration = .seconds(15),
            idlePoll: Duration = .seconds(5),
            busyPoll: Duration = .milliseconds(20),
            batchFactor: Int = 2,
            clockStepTolerance: Duration = .seconds(2),
            breaker: CircuitBreaker.Policy = .init(),
            slowStart: Bool = true
        ) {
            self.concurrency = concurrency
            self.perRPConcurrency = perRPConcurrency
            self.retryPolicy = retryPolicy
            self.attemptTimeout = attemptTimeout
            self.shutdownTimeout = shutdownTimeout
            self.idlePoll = idlePoll
            self.busyPoll = busyPoll
            self.batchFactor = batchFactor
            self.clockStepTolerance = clockStepTolerance
            self.breaker = breaker
            self.slowStart = slowStart
        }

        /// A lease outlives the longest attempt plus the wait for a slot, so a delivery is never
        /// taken twice while alive.
        public var lease: Duration { attemptTimeout * 2 + .seconds(30) }
    }

    /// The time of an input: the wall clock for stored instants, the monotonic clock for timers.
    public struct Now: Sendable, Equatable {
        public var wall: Timestamp
        public var monotonic: ContinuousClock.Instant

        public init(wall: Timestamp, monotonic: ContinuousClock.Instant) {
            self.wall = wall
            self.monotonic = monotonic
        }
    }

    public enum Action: Sendable, Equatable {
        /// Lease due deliveries; answer with `claimed` or `claimFailed`.
        case claim(ClaimRequest)
        /// Ask the store when the next delivery is due; answer with `nextDue`.
        case findNextDue
        /// Run these attempts; answer each with `attemptFinished`.
        case start([ClaimedDelivery])
        /// Store this outcome (an attempt, or a delivery skipped without one); answer with `recorded`.
        case record(AttemptReport)
        /// The wall clock stepped back: due times further ahead than `latest` are brought to
        /// now + `latest`, or a step of an hour would hold every retry an hour longer.
        case boundDueTimes(latest: Duration)
        /// Hand these leased deliveries back to the queue, due now.
        case releaseLeases([Int64])
        /// Cancel the attempts still running (the stop timeout is over).
        case cancelAttempts
        /// Nothing to do before this instant, unless something arrives; answer with `wake`.
        case sleep(until: ContinuousClock.Instant)
        case stop
    }

    /// What one attempt did, as the shell saw it.
    public struct AttemptOutcome: Sendable, Equatable {
        public var delivery: ClaimedDelivery
        public var result: AttemptResult
        public var startedAt: Timestamp
        public var duration: Duration
        /// The `jti` of the token minted for this attempt (`-` if none could be minted).
        public var jti: String

        public init(
            delivery: ClaimedDelivery,
            result: AttemptResult,
            startedAt: Timestamp,
            duration: Duration,
            jti: String
        ) {
            self.delivery = delivery
            self.result = result
            self.startedAt = startedAt
            self.duration = duration
            self.jti = jti
        }
    }
}

extension DeliveryStateMachine.AttemptOutcome {
    /// What the store keeps of this attempt, once the machine has decided its `transition`.
    func report(_ transition: DeliveryTransition, breakerPolicy: CircuitBreaker.Policy) -> AttemptReport {
        var statusCode: Int?
        var rpError: String?
        switch result {
        case .response(let answer):
            statusCode = answer.status
            rpError = answer.rpError
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
            nextAttemptAt: transition.nextAttemptAt
        )
        return AttemptReport(
            deliveryID: delivery.id,
            clientID: delivery.clientID,
            eventID: delivery.eventID,
            attempt: record,
            transition: transition,
            breaker: BreakerInput(verdict: DeliveryClassifier.classify(result), policy: breakerPolicy)
        )
    }
}
