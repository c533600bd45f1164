import CoreMetrics
import Logging
import LogoutCore
import Synchronization

/// The daemon's metrics, in swift-metrics terms; the composition root picks the backend
/// (Prometheus for `/metrics`). Labels are issuer names, RP client_ids and bounded classes
/// (outcomes, rule ids), never a user id (ADM-3).
struct LogoutMetrics: Sendable {
    let factory: any MetricsFactory
    /// Each label set's counter, made once: making one per event went through the registry's
    /// name validation, lock and dictionary every time (callgrind: 2 % of a fan-out's
    /// instructions, three counters and a timer per delivery).
    let counters = CounterCache()

    func logoutReceived(issuer: String, outcome: EventRecord.Outcome) {
        counter("logoutd_logouts_received_total", ["issuer": issuer, "outcome": outcome.rawValue])
    }

    /// Rejected inbound tokens by the rule they broke (`IN-4`, …).
    func requestRejected(rule: String) {
        counter("logoutd_rejected_requests_total", ["rule": rule])
    }

    /// Rejections answered `429` (not recorded), by the budget that was spent.
    func rateLimited(scope: String) {
        counter("logoutd_rate_limited_requests_total", ["scope": scope])
    }

    /// Rejections that could not be queued for the log (its queue was full).
    func rejectionsNotRecorded(_ count: Int) {
        guard count > 0 else { return }
        Counter(label: "logoutd_rejections_not_recorded_total", dimensions: [], factory: factory)
            .increment(by: count)
    }

    func jwksRefresh(issuer: String, succeeded: Bool) {
        counter("logoutd_jwks_refreshes_total", ["issuer": issuer, "result": succeeded ? "success" : "failure"])
    }

    /// Tokens with an unknown `kid` answered `503` inside the refresh cool-down.
    func unknownKeyDeferred(issuer: String) {
        counter("logoutd_unknown_kid_deferred_total", ["issuer": issuer])
    }

    /// A delivery reached its end: `delivered`, `failed` or `skipped`.
    func deliveryFinished(clientID: String, outcome: DeliveryStatus) {
        counter("logoutd_deliveries_total", ["client_id": clientID, "outcome": outcome.rawValue])
    }

    /// One attempt: its result (`success` or its error class) and how long it took.
    func attempt(clientID: String, result: String, duration: Duration) {
        counter("logoutd_delivery_attempts_total", ["client_id": clientID, "result": result])
        counters.attemptDuration(factory).recordNanoseconds(duration.wholeMilliseconds * 1_000_000)
    }

    /// A revocation attempt's outcome: `revoked`, `retrying` or `failed` (BR-8).
    func revocation(issuer: String, status: RevocationStatus) {
        counter("logoutd_revocations_total", ["issuer": issuer, "outcome": status.rawValue])
    }

    /// A SET push's outcome per receiver: `delivered`, `retrying` or `failed` (SSF-4).
    func securityEventPush(receiver: String, outcome: String) {
        counter("logoutd_ssf_pushes_total", ["receiver": receiver, "outcome": outcome])
    }

    /// The queue as the store sees it, and each RP's breaker (set every few seconds).
    func queue(_ statistics: QueueStatistics, now: Timestamp) {
        for (status, count) in [
            ("pending", statistics.pending), ("retrying", statistics.retrying), ("in_flight", statistics.inFlight),
        ] {
            Gauge(label: "logoutd_queue_depth", dimensions: [("status", status)], factory: factory).record(count)
        }
        let age = statistics.oldestWaitingCreatedAt.map { $0.duration(to: now).seconds } ?? 0
        Gauge(label: "logoutd_oldest_pending_age_seconds", dimensions: [], factory: factory).record(max(0, age))
    }

    /// The store's single writer was busy for `added` more (`rate()` of the counter is its
    /// share of the wall clock: near 1, acknowledgements wait for each other's transactions).
    func writerBusy(_ added: WriterBusyTime) {
        // Both series from the first collection on, at 0 until the writer is busy: a series that
        // appears late reads as a gap in `rate()`.
        for (writes, time) in [("acknowledged", added.acknowledged), ("queue", added.queue)] {
            FloatingPointCounter(
                label: "logoutd_store_writer_busy_seconds_total",
                dimensions: [("writes", writes)],
                factory: factory
            ).increment(by: max(0, time.seconds))
        }
    }

    func breaker(clientID: String, state: CircuitBreaker.State) {
        for candidate in CircuitBreaker.State.allCases {
            Gauge(
                label: "logoutd_rp_breaker_state",
                dimensions: [("client_id", clientID), ("state", candidate.rawValue)],
                factory: factory
            ).record(candidate == state ? 1 : 0)
        }
    }

    /// Lines this process wrote at `level` (counted as they were handed to the journal).
    func logLines(level: Logger.Level, _ count: Int) {
        guard count > 0 else { return }
        Counter(label: "logoutd_log_lines_total", dimensions: [("level", level.rawValue)], factory: factory)
            .increment(by: count)
    }

    private func counter(_ label: String, _ dimensions: KeyValuePairs<String, String>) {
        counters.counter(label, dimensions, factory).increment()
    }
}

/// The handles `LogoutMetrics` made, by label and dimensions. Bounded like the labels are:
/// issuers, RPs and closed sets of outcomes (ADM-3).
final class CounterCache: Sendable {
    /// Up to two dimensions inline (every counter here has at most two): a key made of arrays
    /// cost three allocations per event, for every delivery attempt (callgrind).
    private struct Key: Hashable {
        struct Dimension: Hashable {
            var name: String
            var value: String
        }

        var label: String
        var first: Dimension?
        var second: Dimension?
        var more: [Dimension] = []

        init(_ label: String, _ dimensions: KeyValuePairs<String, String>) {
            self.label = label
            for (index, pair) in dimensions.enumerated() {
                let dimension = Dimension(name: pair.key, value: pair.value)
                switch index {
                case 0: first = dimension
                case 1: second = dimension
                default: more.append(dimension)
                }
            }
        }
    }

    private let counters = Mutex<[Key: Counter]>([:])
    private let timer = Mutex<Timer?>(nil)

    func counter(
        _ label: String,
        _ dimensions: KeyValuePairs<String, String>,
        _ factory: any MetricsFactory
    )
        -> Counter
    {
        let key = Key(label, dimensions)
        return counters.withLock { counters in
            if let counter = counters[key] { return counter }
            let counter = Counter(label: label, dimensions: dimensions.map { ($0.key, $0.value) }, factory: factory)
            counters[key] = counter
            return counter
        }
    }

    func attemptDuration(_ factory: any MetricsFactory) -> Timer {
        timer.withLock { timer in
            if let timer { return timer }
            let made = Timer(label: "logoutd_delivery_attempt_duration_seconds", dimensions: [], factory: factory)
            timer = made
            return made
        }
    }
}
