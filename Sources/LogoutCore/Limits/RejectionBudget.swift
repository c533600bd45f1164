/// How many rejected requests one client address, or one issuer, may cost us (rulebook SEC-4).
///
/// Each key has a bucket of `perMinute` tokens that refills continuously. A rejection is charged
/// to its client address and to its issuer (or `unknown`); when either bucket is empty the
/// request is answered `429` and counted, not recorded, so a flood cannot fill the disk. Only
/// rejections are charged: a token that validates is never refused for the budget of the
/// address it came from.
///
/// The table of buckets is bounded: a full bucket is the same as no bucket, so full ones are
/// dropped first, then the least recently charged.
public struct RejectionBudget: Sendable {
    /// One bucket to charge: `key` names it (such as `address:192.0.2.7` or `issuer:idp`).
    public struct Account: Sendable, Equatable {
        public var key: String
        /// Rejections per minute, and the burst that may be spent at once.
        public var perMinute: Int

        public init(_ key: String, perMinute: Int) {
            self.key = key
            self.perMinute = perMinute
        }
    }

    public enum Verdict: Sendable, Equatable {
        /// Record the rejection as usual.
        case record
        /// Answer `429` with this `Retry-After`; do not record. `account` is the one out of budget.
        case exhausted(account: String, retryAfter: Duration)
    }

    struct Bucket: Sendable {
        var tokens: Double
        var capacity: Double
        var updated: ContinuousClock.Instant
    }

    /// Keys remembered at most.
    public let maximumKeys: Int
    private(set) var buckets: [String: Bucket] = [:]

    public init(maximumKeys: Int = 65_536) {
        self.maximumKeys = maximumKeys
    }

    public var trackedKeys: Int { buckets.count }

    /// Charges one rejection to every account, or to none of them when one is out of budget.
    public mutating func charge(_ accounts: [Account], now: ContinuousClock.Instant) -> Verdict {
        var refilled: [(String, Bucket)] = []
        var exhausted: (String, Duration)?
        for account in accounts {
            let bucket = Self.refill(buckets[account.key], perMinute: account.perMinute, now: now)
            if bucket.tokens < 1 {
                let wait = Self.timeUntilOneToken(bucket)
                if exhausted == nil || wait > exhausted!.1 { exhausted = (account.key, wait) }
            }
            refilled.append((account.key, bucket))
        }
        if let (account, wait) = exhausted {
            for (key, bucket) in refilled where buckets[key] != nil { buckets[key] = bucket }
            return .exhausted(account: account, retryAfter: wait)
        }
        for (key, var bucket) in refilled {
            bucket.tokens -= 1
            buckets[key] = bucket
        }
        if buckets.count > maximumKeys { evict(now: now) }
        return .record
    }

    /// How long until `account` can pay for one rejection, without charging it: `nil` when it
    /// can now. The admin sign-in form asks before it checks a token (SEC-4).
    public func waitBeforeCharging(_ account: Account, now: ContinuousClock.Instant) -> Duration? {
        let bucket = Self.refill(buckets[account.key], perMinute: account.perMinute, now: now)
        return bucket.tokens < 1 ? Self.timeUntilOneToken(bucket) : nil
    }

    private static func refill(_ bucket: Bucket?, perMinute: Int, now: ContinuousClock.Instant) -> Bucket {
        let capacity = Double(max(0, perMinute))
        guard let bucket else { return Bucket(tokens: capacity, capacity: capacity, updated: now) }
        let elapsed = max(0, seconds(bucket.updated.duration(to: now)))
        return Bucket(tokens: min(capacity, bucket.tokens + elapsed * capacity / 60), capacity: capacity, updated: now)
    }

    private static func timeUntilOneToken(_ bucket: Bucket) -> Duration {
        guard bucket.capacity > 0 else { return .seconds(60) }
        let seconds = (1 - bucket.tokens) / (bucket.capacity / 60)
        return .milliseconds(Int64((seconds * 1000).rounded(.up)))
    }

    private mutating func evict(now: ContinuousClock.Instant) {
        buckets = buckets.filter { entry in
            let bucket = entry.value
            let elapsed = max(0, Self.seconds(bucket.updated.duration(to: now)))
            return bucket.tokens + elapsed * bucket.capacity / 60 < bucket.capacity
        }
        guard buckets.count > maximumKeys else { return }
        let newest = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumKeys * 3 / 4)
        buckets = Dictionary(uniqueKeysWithValues: newest.map { ($0.key, $0.value) })
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
