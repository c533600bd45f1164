/// The vocabulary of `QueueStateMachine`: its actions and what an attempt reports.
extension QueueStateMachine {
    public typealias Settings = QueueSettings
    public typealias Now = QueueNow

    public enum Action: Sendable, Equatable {
        /// Lease due jobs; answer with `claimed` or `claimFailed`.
        case claim(ClaimRequest)
        /// Ask the store when the next job is due; answer with `nextDue`.
        case findNextDue
        /// Run these attempts; answer each with `attemptFinished`.
        case start([Kind.Job])
        /// Store this outcome (an attempt, or a job ended without one); answer with `recorded`.
        case record(Kind.Report)
        /// The wall clock stepped back: due times further ahead than `latest` are brought to
        /// now + `latest`, or a step of an hour would hold every retry an hour longer.
        case boundDueTimes(latest: Duration)
        /// Hand these leased jobs back to the queue, due now.
        case releaseLeases([Int64])
        /// These claimed jobs were not started: their leases ran out while they waited (a pause,
        /// a stall), so another replica may hold them now. Nothing to do but say so.
        case leaseExpired([Int64])
        /// Cancel the attempts still running (the stop timeout is over).
        case cancelAttempts
        /// Nothing to do before this instant, unless something arrives; answer with `wake`.
        case sleep(until: ContinuousClock.Instant)
        case stop
    }

    /// What one attempt did, as the shell saw it.
    public struct AttemptOutcome: Sendable, Equatable {
        public var job: Kind.Job
        public var result: AttemptResult
        public var startedAt: Timestamp
        public var duration: Duration
        /// What the attempt sent that the log keeps: a delivery's minted `jti` (`-` if none).
        public var jti: String
        /// The attempt could not be made at all (what it needs is gone): `result` is not an
        /// answer, and no attempt is counted.
        public var notAttempted: String?
        /// The trace id of the attempt's span (TRACE-3); nil when tracing is off.
        public var traceID: String?

        public init(
            job: Kind.Job,
            result: AttemptResult,
            startedAt: Timestamp,
            duration: Duration,
            jti: String = "-",
            notAttempted: String? = nil,
            traceID: String? = nil
        ) {
            self.job = job
            self.result = result
            self.startedAt = startedAt
            self.duration = duration
            self.jti = jti
            self.notAttempted = notAttempted
            self.traceID = traceID
        }
    }
}
