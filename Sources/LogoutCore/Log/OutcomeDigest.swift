/// Which outcome lines reach the journal, and the summaries that stand for the others (ADM-4).
///
/// A mass logout is tens of thousands of deliveries; a line for each would pass journald's rate
/// limit (10,000 lines per 30 s per service by default), and journald then drops lines without
/// looking at their level, warnings included. The database's delivery log is the record of each
/// outcome; the journal gets a bounded digest of them:
///
/// | Outcome      | Line for each one                                   | Summary at the window's end |
/// |--------------|-----------------------------------------------------|-----------------------------|
/// | `succeeded`  | debug                                               | info, with the count        |
/// | `retrying`   | debug                                               | warning, causes, next retry |
/// | `skipped`    | debug                                               | info, with the reasons      |
/// | `failed`     | warning, the first `individual[.failed]` of a key   | warning: "and N more"       |
///
/// A window opens with the first outcome after a quiet spell and closes `window` later; each key
/// (an RP's client_id, an issuer's name) has at most one summary of each kind per window, and at
/// most `maximumKeys` keys have their own: the outcomes of any further key in that window are
/// folded into one summary for "the other keys". So a window holds at most
/// `maximumKeys + 1` × (4 summaries + `individual[.failed]`) lines, whatever the burst.
///
/// Time is injected (`now`), nothing here logs: the service decides with it and writes the lines.
public struct OutcomeDigest: Sendable {
    public enum Kind: String, Sendable, CaseIterable, Comparable {
        case succeeded, retrying, skipped, failed

        public static func < (lhs: Kind, rhs: Kind) -> Bool {
            allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
        }
    }

    public struct Settings: Sendable, Equatable {
        /// How long a window lasts: the longest a summary waits.
        public var window: Duration
        /// Outcomes of each kind one key may log in full per window; the rest are summarized.
        public var individual: [Kind: Int]
        /// Keys with summaries of their own per window; the others share one.
        public var maximumKeys: Int
        /// Distinct causes named in a summary; the rest are counted as `other`.
        public var maximumCauses: Int

        public init(
            window: Duration = .seconds(10),
            individual: [Kind: Int] = [.failed: 3],
            maximumKeys: Int = 100,
            maximumCauses: Int = 5
        ) {
            self.window = window
            self.individual = individual
            self.maximumKeys = maximumKeys
            self.maximumCauses = maximumCauses
        }

        public static let standard = Settings()
    }

    /// What to do with one outcome's own line.
    public enum Decision: Sendable, Equatable {
        /// Write it at its kind's level: one of the key's individual lines of this window.
        case log
        /// Write it at debug only: a summary stands for it.
        case debug
    }

    /// One summary line: outcomes of one kind for one key (or for the other keys) in a window.
    public struct Summary: Sendable, Equatable {
        /// `nil`: the keys beyond `maximumKeys`, together.
        public var key: String?
        public var kind: Kind
        /// Outcomes this line stands for (those not logged in full).
        public var count: Int
        /// What the outcomes added up (the deliveries of accepted logouts, say).
        public var amount: Int
        /// Causes by count: an error class, an HTTP status, a skip reason.
        public var causes: [String: Int]
        /// The earliest next attempt among them, for `retrying`.
        public var nextAttemptAt: Timestamp?
        /// For the other keys: how many keys.
        public var keys: Int
        /// When the window opened.
        public var since: Timestamp

        public init(
            key: String?,
            kind: Kind,
            count: Int,
            amount: Int = 0,
            causes: [String: Int] = [:],
            nextAttemptAt: Timestamp? = nil,
            keys: Int = 1,
            since: Timestamp
        ) {
            self.key = key
            self.kind = kind
            self.count = count
            self.amount = amount
            self.causes = causes
            self.nextAttemptAt = nextAttemptAt
            self.keys = keys
            self.since = since
        }

        /// `http_5xx: 40, refused: 2`: most frequent first, then by name.
        public var causesText: String {
            causes.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
                .map { "\($0.key): \($0.value)" }.joined(separator: ", ")
        }
    }

    private struct Tally: Sendable {
        var logged = 0
        var summary: Summary
    }

    public let settings: Settings
    private var opened: Timestamp?
    private var tallies: [String?: [Kind: Tally]] = [:]
    private var otherKeys: Set<String> = []

    public init(settings: Settings = .standard) {
        self.settings = settings
    }

    /// When the open window closes: the time to call `flush`. `nil` while no window is open.
    public var closesAt: Timestamp? { opened.map { $0 + settings.window } }

    /// Counts one outcome; says whether its own line is written in full or at debug.
    public mutating func note(
        _ kind: Kind,
        key: String,
        cause: String? = nil,
        amount: Int = 0,
        nextAttemptAt: Timestamp? = nil,
        now: Timestamp
    ) -> Decision {
        let since = opened ?? now
        opened = since
        var slot: String? = key
        if tallies[key] == nil {
            if tallies.count - (tallies[nil] == nil ? 0 : 1) >= settings.maximumKeys {
                slot = nil
                otherKeys.insert(key)
            }
        }
        var tally = tallies[slot]?[kind] ?? Tally(summary: Summary(key: slot, kind: kind, count: 0, since: since))
        defer { tallies[slot, default: [:]][kind] = tally }
        let allowance = slot == nil ? 0 : settings.individual[kind] ?? 0
        if tally.logged < allowance {
            tally.logged += 1
            return .log
        }
        tally.summary.count += 1
        tally.summary.amount += amount
        if let cause {
            if tally.summary.causes[cause] != nil || tally.summary.causes.count < settings.maximumCauses {
                tally.summary.causes[cause, default: 0] += 1
            } else {
                tally.summary.causes["other", default: 0] += 1
            }
        }
        if let nextAttemptAt {
            tally.summary.nextAttemptAt = min(tally.summary.nextAttemptAt ?? nextAttemptAt, nextAttemptAt)
        }
        return .debug
    }

    /// The summaries of the window, once it has closed (or the clock stepped back before it
    /// opened); nothing while it is open. Keys in order, the other keys last.
    public mutating func flush(now: Timestamp) -> [Summary] {
        guard let opened, now >= opened + settings.window || now < opened else { return [] }
        return flushAll()
    }

    /// Every summary now, open window or not: at shutdown.
    public mutating func flushAll() -> [Summary] {
        let keys = tallies.keys.sorted { ($0 ?? "\u{10FFFF}") < ($1 ?? "\u{10FFFF}") }
        var summaries: [Summary] = []
        for key in keys {
            let kinds = tallies[key, default: [:]].sorted { $0.key < $1.key }
            for (_, tally) in kinds where tally.summary.count > 0 {
                var summary = tally.summary
                if key == nil { summary.keys = otherKeys.count }
                summaries.append(summary)
            }
        }
        opened = nil
        tallies = [:]
        otherKeys = []
        return summaries
    }
}
