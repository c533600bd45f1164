/// When each of our signing keys is published, signs and retires (OUT-4), decided from two
/// stored instants per key and the clock, so a restart, a replica or a test with an injected
/// `now` all agree without any timer.
///
/// Per algorithm, keys are ordered by `signsFrom`. The active key is the last one whose
/// `signsFrom` has passed; later ones are `next` (published, not signing yet, so RPs that
/// refresh their JWKS cache within `overlap` have them before their first token); earlier ones
/// are `retiring` (still published, so tokens they signed keep verifying) until their
/// successor has signed for `overlap`, then `retired` (no longer published).
public struct KeySchedule: Sendable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        case next
        case active
        case retiring
        case retired
    }

    public struct Key: Sendable, Equatable {
        public var keyID: String
        public var algorithm: SigningAlgorithm
        public var publishedAt: Timestamp
        public var signsFrom: Timestamp

        public init(keyID: String, algorithm: SigningAlgorithm, publishedAt: Timestamp, signsFrom: Timestamp) {
            self.keyID = keyID
            self.algorithm = algorithm
            self.publishedAt = publishedAt
            self.signsFrom = signsFrom
        }
    }

    public struct Status: Sendable, Equatable {
        public var key: Key
        public var state: State
        /// When a superseded key stops being published.
        public var retiresAt: Timestamp?

        public var isPublished: Bool { state != .retired }
    }

    /// How long a next key is published before it signs, and a superseded key after.
    public var overlap: Duration

    public init(overlap: Duration) {
        self.overlap = overlap
    }

    public func statuses(_ keys: [Key], now: Timestamp) -> [Status] {
        var result: [Status] = []
        for algorithm in SigningAlgorithm.allCases {
            let ordered = keys.filter { $0.algorithm == algorithm }.sorted {
                ($0.signsFrom, $0.keyID) < ($1.signsFrom, $1.keyID)
            }
            guard !ordered.isEmpty else { continue }
            // No key due yet (only when every key was added for the future): the earliest signs
            // early rather than none at all.
            let active = ordered.lastIndex { $0.signsFrom <= now } ?? 0
            for (index, key) in ordered.enumerated() {
                if index > active {
                    result.append(Status(key: key, state: .next))
                    continue
                }
                // A key with a successor stops being published once the successor has signed
                // for the overlap (known ahead for the active key while a next one waits).
                let retiresAt = index + 1 < ordered.count ? ordered[index + 1].signsFrom + overlap : nil
                let state: State
                if index == active {
                    state = .active
                } else {
                    state = now < retiresAt! ? .retiring : .retired
                }
                result.append(Status(key: key, state: state, retiresAt: retiresAt))
            }
        }
        return result
    }

    /// When a key first seen now starts signing: at once when nothing of its algorithm signs
    /// yet or the operator says so, otherwise after the overlap.
    public func signsFrom(
        newKeyOf algorithm: SigningAlgorithm,
        existing: [Key],
        now: Timestamp,
        immediately: Bool = false
    ) -> Timestamp {
        if immediately || !existing.contains(where: { $0.algorithm == algorithm }) { return now }
        return now + overlap
    }

    /// The key that signs `algorithm` now.
    public func active(_ algorithm: SigningAlgorithm, among keys: [Key], now: Timestamp) -> Key? {
        statuses(keys.filter { $0.algorithm == algorithm }, now: now).first { $0.state == .active }?.key
    }

    /// The key that signs `algorithm` now, with the instants between which it stays the one:
    /// the answer changes only when the clock crosses a key's `signsFrom`, so a caller that
    /// mints for every delivery can keep it while `now` stays inside (`holds(at:)`) and decide
    /// again outside, a clock stepped back included.
    public struct Signing: Sendable, Equatable {
        public var key: Key
        /// Nil: from the beginning of time (no key was due yet, the earliest signs early).
        public var from: Timestamp?
        /// Nil: until another key is scheduled.
        public var until: Timestamp?

        public func holds(at now: Timestamp) -> Bool {
            (from.map { $0 <= now } ?? true) && (until.map { now < $0 } ?? true)
        }
    }

    /// `active(_:among:now:)`'s answer and how long it holds: until the next key's `signsFrom`
    /// (the first one after the active key in `statuses`' order).
    public func signing(_ algorithm: SigningAlgorithm, among keys: [Key], now: Timestamp) -> Signing? {
        let ordered = statuses(keys.filter { $0.algorithm == algorithm }, now: now)
        guard let active = ordered.firstIndex(where: { $0.state == .active }) else { return nil }
        let key = ordered[active].key
        let next = ordered.index(after: active)
        return Signing(
            key: key,
            // Not due yet: the earliest key signs early, from the beginning of time.
            from: key.signsFrom <= now ? key.signsFrom : nil,
            until: next < ordered.endIndex ? ordered[next].key.signsFrom : nil
        )
    }
}
