/// At most one log line per key per interval (SEC-4): a flood of refused browser requests from
/// one address is one line a minute in the journal, with the count of the lines it stands for,
/// not a line per request.
public struct LogThrottle: Sendable {
    public let interval: Duration
    public let maximumKeys: Int
    private var last: [String: (at: ContinuousClock.Instant, suppressed: Int)] = [:]

    public init(interval: Duration = .seconds(60), maximumKeys: Int = 10_000) {
        self.interval = interval
        self.maximumKeys = maximumKeys
    }

    public var trackedKeys: Int { last.count }

    /// `nil`: stay silent. Otherwise log now; the number is how many lines of this key were
    /// left out since the last one.
    public mutating func admit(_ key: String, now: ContinuousClock.Instant) -> Int? {
        if let entry = last[key], entry.at.duration(to: now) < interval {
            last[key] = (entry.at, entry.suppressed + 1)
            return nil
        }
        let suppressed = last[key]?.suppressed ?? 0
        if last.count >= maximumKeys {
            last = last.filter { $0.value.at.duration(to: now) < interval }
            // Still full inside one interval: forget everyone rather than grow (a line too many
            // beats unbounded memory).
            if last.count >= maximumKeys { last = [:] }
        }
        last[key] = (now, 0)
        return suppressed
    }
}
