/// When an issuer's cached key set is used as it is, refreshed in the background, fetched while
/// the request waits, or not touched at all (the rulebook's issuer-keys paragraph).
///
/// - Fresh keys answer at once. Stale keys also answer at once and start one background refresh;
///   an IdP's key endpoint being slow or down never delays a logout whose keys we hold.
/// - A failed refresh is retried with backoff (5 s, 10 s, 20 s … 5 min), lazily: the next
///   request after the backoff starts it, so an idle issuer costs nothing.
/// - An unknown `kid` refreshes at once (an IdP that rotated its key signs with the new one right
///   away) unless a refresh started within the cool-down; then the caller answers `503` with the
///   remaining cool-down as `Retry-After`, never `400`, because a rotating IdP will retry.
/// - Concurrent needs share one fetch (single flight).
///
/// Monotonic instants: a wall-clock step must not expire or freeze the cache.
public struct KeySetRefreshState<Keys: Sendable>: Sendable {
    public struct Policy: Sendable, Equatable {
        public var minimumTTL: Duration
        public var maximumTTL: Duration
        public var unknownKeyCooldown: Duration
        public var failureBackoffInitial: Duration
        public var failureBackoffMaximum: Duration

        public init(
            minimumTTL: Duration = .seconds(300),
            maximumTTL: Duration = .seconds(86_400),
            unknownKeyCooldown: Duration = .seconds(10),
            failureBackoffInitial: Duration = .seconds(5),
            failureBackoffMaximum: Duration = .seconds(300)
        ) {
            self.minimumTTL = minimumTTL
            self.maximumTTL = maximumTTL
            self.unknownKeyCooldown = unknownKeyCooldown
            self.failureBackoffInitial = failureBackoffInitial
            self.failureBackoffMaximum = failureBackoffMaximum
        }
    }

    public enum LookupAction: Sendable {
        case use(Keys)
        /// Use these keys now, and start a background refresh.
        case useAndRefresh(Keys)
        /// Nothing cached: start a fetch and wait for it.
        case fetch
        /// A fetch is running: wait for it.
        case join
        /// Nothing cached and the last fetch failed recently: answer `503` now.
        case unavailable(retryAfter: Duration)
    }

    public enum UnknownKeyAction: Sendable, Equatable {
        case refresh
        case join
        /// Inside the cool-down (or the failure backoff): answer `503` with this `Retry-After`.
        case retryLater(Duration)
    }

    public let policy: Policy
    public private(set) var keys: Keys?
    public private(set) var consecutiveFailures = 0
    var freshUntil: ContinuousClock.Instant?
    var lastRefreshStarted: ContinuousClock.Instant?
    var retryNotBefore: ContinuousClock.Instant?
    public private(set) var refreshing = false

    public init(policy: Policy) {
        self.policy = policy
    }

    public mutating func lookup(now: ContinuousClock.Instant) -> LookupAction {
        if let keys {
            if let freshUntil, now < freshUntil { return .use(keys) }
            return startRefreshIfAllowed(now: now) ? .useAndRefresh(keys) : .use(keys)
        }
        if refreshing { return .join }
        if let retryNotBefore, now < retryNotBefore {
            return .unavailable(retryAfter: now.duration(to: retryNotBefore))
        }
        refreshing = true
        lastRefreshStarted = now
        return .fetch
    }

    public mutating func unknownKeyID(now: ContinuousClock.Instant) -> UnknownKeyAction {
        if refreshing { return .join }
        var wait: Duration = .zero
        if let lastRefreshStarted {
            wait = max(wait, policy.unknownKeyCooldown - lastRefreshStarted.duration(to: now))
        }
        if let retryNotBefore {
            wait = max(wait, now.duration(to: retryNotBefore))
        }
        if wait > .zero { return .retryLater(wait) }
        refreshing = true
        lastRefreshStarted = now
        return .refresh
    }

    /// - Parameter maxAge: the JWKS answer's `Cache-Control: max-age` in seconds; ignored unless
    ///   a finite positive number, then kept between the minimum and maximum TTL.
    public mutating func refreshSucceeded(_ keys: Keys, maxAge: Double?, now: ContinuousClock.Instant) {
        var ttl = policy.minimumTTL
        if let maxAge, maxAge.isFinite, maxAge > 0 {
            let capped = min(maxAge, Double(policy.maximumTTL.components.seconds))
            ttl = min(max(.milliseconds(Int64(capped * 1000)), policy.minimumTTL), policy.maximumTTL)
        }
        self.keys = keys
        freshUntil = now + ttl
        refreshing = false
        consecutiveFailures = 0
        retryNotBefore = nil
    }

    /// Returns how long until the next refresh may start.
    @discardableResult
    public mutating func refreshFailed(now: ContinuousClock.Instant) -> Duration {
        refreshing = false
        consecutiveFailures += 1
        var backoff = policy.failureBackoffInitial
        for _ in 1..<min(consecutiveFailures, 32) where backoff < policy.failureBackoffMaximum {
            backoff *= 2
        }
        backoff = min(backoff, policy.failureBackoffMaximum)
        retryNotBefore = now + backoff
        return backoff
    }

    /// How long until a failed refresh may be retried; zero when nothing is backing off.
    public func backoffRemaining(now: ContinuousClock.Instant) -> Duration {
        guard let retryNotBefore, now < retryNotBefore else { return .zero }
        return now.duration(to: retryNotBefore)
    }

    private mutating func startRefreshIfAllowed(now: ContinuousClock.Instant) -> Bool {
        guard !refreshing else { return false }
        if let retryNotBefore, now < retryNotBefore { return false }
        refreshing = true
        lastRefreshStarted = now
        return true
    }
}
