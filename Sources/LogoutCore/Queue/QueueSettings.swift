/// How the queue engine runs: its caps, timings and retry policy, the same for every job kind.
public struct QueueSettings: Sendable, Equatable {
    /// Attempts in flight, all targets together.
    public var concurrency: Int
    /// Attempts in flight to one target (an RP, an issuer's endpoint).
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
    /// How long a claimed job is ours; another replica may take it over after that. A lease
    /// outlives the longest attempt plus the wait for a slot, so a job is never taken twice
    /// while alive; a job whose lease could not cover its attempt any more is not started.
    public var lease: Duration

    /// Room after an attempt's timeout for storing its outcome inside the lease.
    public static let outcomeMargin: Duration = .seconds(5)

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
        slowStart: Bool = true,
        lease: Duration? = nil
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
        self.lease = lease ?? attemptTimeout * 2 + .seconds(30)
    }

    /// Whether a job claimed at `claimed` may start now: its lease must still cover the longest
    /// attempt and the storing of its outcome, by the monotonic clock and by the wall clock the
    /// store's lease is kept in (a paused process or a suspended machine sees either move).
    public func leaseCoversAnAttempt(claimed: QueueNow, now: QueueNow) -> Bool {
        let elapsed = max(claimed.monotonic.duration(to: now.monotonic), claimed.wall.duration(to: now.wall))
        return elapsed + attemptTimeout + Self.outcomeMargin <= lease
    }

    /// The last instant, by each clock, at which a job claimed at `claimed` may begin its
    /// attempt: what `leaseCoversAnAttempt` allows, as a deadline a task can check by itself.
    public func startDeadline(claimed: QueueNow) -> QueueNow {
        let room = lease - attemptTimeout - Self.outcomeMargin
        return QueueNow(wall: claimed.wall + room, monotonic: claimed.monotonic + room)
    }
}

/// The time of an input: the wall clock for stored instants, the monotonic clock for timers.
public struct QueueNow: Sendable, Equatable {
    public var wall: Timestamp
    public var monotonic: ContinuousClock.Instant

    public init(wall: Timestamp, monotonic: ContinuousClock.Instant) {
        self.wall = wall
        self.monotonic = monotonic
    }

    /// Whether this instant is no later than `deadline` by both clocks.
    public func isNotAfter(_ deadline: QueueNow) -> Bool {
        wall <= deadline.wall && monotonic <= deadline.monotonic
    }
}
