import Foundation
import LogoutCore
import Synchronization

/// Our signing keys with their schedule: what signs now, what `jwks_uri` publishes, and the
/// changes `keys rotate` makes while the daemon runs. Every answer is computed from the clock
/// passed in, so a key's switch and retirement need no timer.
public final class SigningKeyring: Sendable {
    public struct Entry: Sendable {
        public let stored: SigningKeyStore.StoredKey
        public let status: KeySchedule.Status
    }

    private struct State {
        var files: SigningKeyStore {
            didSet { signing = [:] }
        }
        var scheduled: [String: KeySchedule.Key] {
            didSet { signing = [:] }
        }
        /// The signing key by algorithm while its schedule's answer holds: every delivery mints,
        /// and deciding again each time (the keys listed, filtered, sorted, their file found)
        /// was 1 % of a fan-out's instructions. Any change of files or schedule drops it.
        var signing: [SigningAlgorithm: (window: KeySchedule.Signing, key: SigningKey?)] = [:]

        init(files: SigningKeyStore, scheduled: [String: KeySchedule.Key]) {
            self.files = files
            self.scheduled = scheduled
        }

        /// Keys with a file and a schedule (a schedule whose file is gone is history only).
        var keys: [KeySchedule.Key] { files.keys.compactMap { scheduled[$0.key.keyID] } }
    }

    public let schedule: KeySchedule
    private let state: Mutex<State>

    /// - Parameter scheduled: the store's schedule; keys of `files` missing from it must have
    ///   been added by `schedule(newKeysOf:...)` first.
    public init(files: SigningKeyStore, scheduled: [KeySchedule.Key], schedule: KeySchedule) {
        self.schedule = schedule
        state = Mutex(State(files: files, scheduled: Dictionary(scheduled.map { ($0.keyID, $0) }) { $1 }))
    }

    /// A keyring with no stored schedule: every file is new (tools and tests).
    public convenience init(
        files: SigningKeyStore,
        overlap: Duration = .seconds(86_400),
        now: Timestamp = Timestamp(Date())
    ) {
        let schedule = KeySchedule(overlap: overlap)
        let keys = Self.scheduleNewKeys(in: files, known: [], schedule: schedule, now: now)
        self.init(files: files, scheduled: keys, schedule: schedule)
    }

    /// Schedules the files the store does not know yet, oldest first: the first key of an
    /// algorithm signs at once, a later one after the overlap (an operator dropping a key file
    /// in is a rotation too).
    public static func scheduleNewKeys(
        in files: SigningKeyStore,
        known: [KeySchedule.Key],
        schedule: KeySchedule,
        now: Timestamp
    ) -> [KeySchedule.Key] {
        let knownIDs = Set(known.map(\.keyID))
        let present = known.filter { key in files.keys.contains { $0.key.keyID == key.keyID } }
        var scheduled = present
        var added: [KeySchedule.Key] = []
        for stored in files.keys.sorted(by: { ($0.createdAt, $0.fileName) < ($1.createdAt, $1.fileName) })
        where !knownIDs.contains(stored.key.keyID) {
            let key = KeySchedule.Key(
                keyID: stored.key.keyID,
                algorithm: stored.key.algorithm,
                publishedAt: now,
                signsFrom: schedule.signsFrom(newKeyOf: stored.key.algorithm, existing: scheduled, now: now)
            )
            scheduled.append(key)
            added.append(key)
        }
        return added
    }

    public func signingKey(_ algorithm: SigningAlgorithm, now: Timestamp) -> SigningKey? {
        state.withLock { state in
            if let cached = state.signing[algorithm], cached.window.holds(at: now) { return cached.key }
            guard let window = schedule.signing(algorithm, among: state.keys, now: now) else { return nil }
            let key = state.files.keys.first { $0.key.keyID == window.key.keyID }?.key
            state.signing[algorithm] = (window, key)
            return key
        }
    }

    /// Next, active and retiring keys: what RPs must be able to verify with.
    public func publishedJWKS(now: Timestamp) -> [[String: String]] {
        entries(now: now).filter(\.status.isPublished).map(\.stored.key.publicJWK)
    }

    public func entries(now: Timestamp) -> [Entry] {
        state.withLock { state in
            let files = Dictionary(state.files.keys.map { ($0.key.keyID, $0) }) { first, _ in first }
            return schedule.statuses(state.keys, now: now).compactMap { status in
                files[status.key.keyID].map { Entry(stored: $0, status: status) }
            }
        }
    }

    /// Writes a generated key and schedules it; the caller records the schedule in the store.
    public func add(
        _ key: SigningKey,
        signsFrom: Timestamp,
        now: Timestamp
    ) throws -> (
        SigningKeyStore.StoredKey, KeySchedule.Key
    ) {
        try state.withLock { state in
            let stored = try state.files.add(key, now: now)
            let scheduled = KeySchedule.Key(
                keyID: key.keyID,
                algorithm: key.algorithm,
                publishedAt: now,
                signsFrom: signsFrom
            )
            state.scheduled[key.keyID] = scheduled
            return (stored, scheduled)
        }
    }

    /// Takes another replica's changes over: the key files and schedule as they are now in the
    /// shared store (a rotation made elsewhere).
    public func replace(files: SigningKeyStore, scheduled: [KeySchedule.Key]) {
        state.withLock { state in
            state = State(files: files, scheduled: Dictionary(scheduled.map { ($0.keyID, $0) }) { $1 })
        }
    }

    public func setSignsFrom(keyID: String, to signsFrom: Timestamp) {
        state.withLock { $0.scheduled[keyID]?.signsFrom = signsFrom }
    }

    /// Deletes the files of retired keys in `keys.dir`; returns their ids.
    public func removeRetired(now: Timestamp) throws -> [String] {
        try state.withLock { state in
            let retired = schedule.statuses(state.keys, now: now).filter { $0.state == .retired }.map(\.key.keyID)
            for keyID in retired where state.files.keys.contains(where: { $0.key.keyID == keyID && !$0.isCredential }) {
                try state.files.remove(keyID: keyID)
            }
            return retired
        }
    }
}
