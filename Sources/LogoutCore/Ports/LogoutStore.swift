/// What the service needs from storage, split by who needs it. SQLite implements them today; a
/// shared PostgreSQL store for several replicas implements the same protocols, and one
/// conformance suite (`StoreConformance` in the tests) holds both to the same behaviour.
///
/// Errors: registry operations throw `RegistryError` for what the caller can fix; anything else
/// is the store's own trouble (busy, full, unreachable), which callers answer with `503`.

/// Intake: an acknowledged logout commits before its answer (IN-17); rejections are logged
/// without delaying it (SEC-4).
public protocol IntakeStore: Sendable {
    /// Records the event, its replay record, the sessions it ends and all its deliveries in one
    /// durable transaction; returns once it is committed.
    func recordLogout(_ logout: AcceptedLogout, now: Timestamp) async throws -> RecordedLogout
    /// Whether `replay` is recorded and unexpired, read without a write: a repeated
    /// `id_token_hint` is answered from it and commits nothing (BR-9).
    func replayRecorded(_ replay: ReplayKey, now: Timestamp) async throws -> Bool
    /// Queues a rejected request for the log without waiting; false when the queue is full and
    /// the entry was dropped.
    func enqueueRejection(_ rejection: RejectedLogout, now: Timestamp) -> Bool
    /// Commits queued rejections now.
    func flushRejections() async throws
    /// Rejections dropped because their queue was full, since the last call.
    func takeDroppedRejections() -> Int
}

/// The durable queue the dispatcher drains (rulebook ).
///
/// In the embedded store a claim and the outcomes do not wait for the disk: a power cut
/// that undoes one leaves the delivery queued, to be attempted again (the process that held
/// the lease is gone with it), and an fsync for each would cost the queue and the
/// acknowledgements waiting behind it more than a rare redelivery costs an RP. Not where
/// replicas share the queue: a claim lost in a failover would let two of them attempt at once.
public protocol DeliveryQueueStore: Sendable {
    /// Leases due deliveries within the request's bounds.
    func claimDue(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedDelivery]
    /// Stores attempts and their deliveries' new states, ending their leases, all or none: the
    /// dispatcher hands over every outcome that finished since its last pass at once.
    /// Returns the deliveries whose outcome was dropped: a replica stalled past its lease, and
    /// another replica holds it now; their attempt decides.
    @discardableResult
    func recordAttempts(_ reports: [AttemptReport]) async throws -> [Int64]
    /// Gives leased deliveries back to the queue, due at `now` (graceful stop).
    func releaseLeases(ids: [Int64], now: Timestamp) async throws
    /// At start: every lease belongs to a process that is gone. Returns how many were released.
    func releaseAllLeases(now: Timestamp) async throws -> Int
    /// The earliest due time of a waiting delivery, leased ones included.
    func nextDueAt() async throws -> Timestamp?
    /// A due time further ahead than `latest` from `now` can only come from a wall clock that
    /// stepped back: it is brought to `now + latest` (rulebook Q-5). Returns how many moved.
    func boundDueTimes(now: Timestamp, latest: Duration) async throws -> Int
}

extension DeliveryQueueStore {
    /// Stores one attempt and the delivery's new state, ending its lease.
    public func recordAttempt(_ report: AttemptReport) async throws {
        try await recordAttempts([report])
    }
}

extension RevocationStore {
    /// Up to `limit` due revocations, however they share out among issuers.
    public func claimDueRevocations(limit: Int, lease: Duration, now: Timestamp) async throws -> [ClaimedRevocation] {
        try await claimDueRevocations(
            ClaimRequest(limit: limit, available: [:], defaultAvailable: limit, rotation: 0, lease: lease),
            now: now
        )
    }

    /// Stores one attempt's outcome, ending its lease.
    public func recordRevocation(id: Int64, _ transition: RevocationTransition) async throws {
        try await recordRevocations([RevocationReport(id: id, transition: transition)])
    }
}

/// A registry conflict or miss, for `409` and `404`.
public enum RegistryError: Error, Sendable, Equatable {
    case conflict(String)
    case notFound(String)
}

/// The registry: issuers, RPs and sessions (RES-1, SEC-5).
public protocol RegistryStore: Sendable {
    /// - Throws: `RegistryError.conflict` for a taken name or an `iss` already registered.
    func insertIssuer(_ issuer: StoredIssuer) async throws
    func issuers() async throws -> [StoredIssuer]
    func issuer(named name: String) async throws -> StoredIssuer?
    /// Removes an issuer and its sessions.
    func deleteIssuer(named name: String) async throws
    /// Replaces an issuer's stored row, keeping its sessions and queued work.
    /// - Throws: `RegistryError.notFound` when no issuer has that name.
    func replaceIssuer(_ issuer: StoredIssuer) async throws
    /// Groups of issuer names registered under one `iss` before registrations were unique.
    func issuersSharingAnIss() async throws -> [[String]]

    func insertRelyingParty(_ rp: StoredRelyingParty) async throws
    func replaceRelyingParty(_ rp: StoredRelyingParty) async throws
    func relyingParties() async throws -> [StoredRelyingParty]
    func relyingParty(clientID: String) async throws -> StoredRelyingParty?
    /// Removes an RP and its sessions; its unfinished deliveries end `failed`.
    func deleteRelyingParty(clientID: String) async throws

    func insertSession(_ session: NewSession, now: Timestamp) async throws -> Session
    func sessions(_ query: SessionQuery) async throws -> [Session]
    func deleteSession(id: Int64) async throws
}

/// The log of events, deliveries and attempts, and the admin's redeliveries (ADM-1, ADM-2, Q-3).
public protocol LogStore: Sendable {
    func events(_ query: EventQuery) async throws -> [EventRecord]
    func event(id: Int64) async throws -> EventRecord?
    func deliveries(_ query: DeliveryQuery) async throws -> [DeliveryRecord]
    func delivery(id: Int64) async throws -> (DeliveryRecord, [AttemptRecord])?
    func retryDelivery(id: Int64, now: Timestamp) async throws -> RetryOutcome
    /// Queues again every failed or skipped delivery of an RP created since `since`; returns how many.
    func recoverDeliveries(clientID: String, since: Timestamp, now: Timestamp) async throws -> Int
    /// Ends an RP's waiting deliveries as skipped with `reason` (the RP was disabled); leased ones
    /// finish their attempt. Returns how many.
    func skipWaitingDeliveries(clientID: String, reason: String, now: Timestamp) async throws -> Int
    /// Deliveries that ended, and attempts that scheduled a retry, per minute since `start`.
    func deliveryActivity(start: Timestamp, minutes: Int) async throws -> [DeliveryActivity.Count]
    /// How many deliveries wait, by state, and since when the oldest (for metrics, ADM-3).
    func queueStatistics() async throws -> QueueStatistics
}

public struct QueueStatistics: Sendable, Equatable {
    public var pending = 0
    public var retrying = 0
    /// Waiting deliveries whose attempt is running.
    public var inFlight = 0
    public var oldestWaitingCreatedAt: Timestamp?
    /// A store with one writer (SQLite) queues acknowledgements behind each other once that
    /// writer is always busy, before the CPU is full: its time in the group commit since the
    /// process started tells. `nil` for a store without one (PostgreSQL).
    public var writerBusy: WriterBusyTime?

    public init() {}
}

/// Where a single writer's group-commit time went: the transactions whose callers are answered
/// only once they are on disk (logouts, admin actions), and the queue's own (claims, outcomes),
/// committed without waiting for the disk. Rejected requests' log rows ride along in either.
/// Writes outside the group commit (sessions registered, the retention purge, the SSF queue,
/// registry changes) are in neither.
public struct WriterBusyTime: Sendable, Equatable {
    public var acknowledged: Duration
    public var queue: Duration

    public init(acknowledged: Duration, queue: Duration) {
        self.acknowledged = acknowledged
        self.queue = queue
    }
}

public enum RetryOutcome: Sendable, Equatable {
    case queued
    case notFound
    case alreadyDelivered
}

/// Housekeeping: retention, the one-time binding of sealed secrets.
public protocol MaintenanceStore: Sendable {
    func purge(now: Timestamp, retention: Duration, rejectedRetention: Duration) async throws -> PurgeCounts
    /// Re-seals, once, every secret stored before sealed values were bound to their row; `nil`
    /// when that was done before.
    func bindSealedSecretsIfNeeded(
        _ reseal: @escaping @Sendable (SealedField, [UInt8]) throws -> [UInt8]
    ) async throws -> Int?
    /// Writes a consistent copy of the whole store to a new file at `path`, while it keeps
    /// serving (`logoutd backup`).
    func snapshot(into path: String) async throws
    /// Whether the store answers (for `/readyz`).
    func isReadable() async -> Bool
}

public struct PurgeCounts: Sendable, Equatable {
    public var replayRecords = 0
    public var sessions = 0
    public var events = 0
    public var rejectedEvents = 0

    public init() {}
}

/// Everything the daemon needs from one store.
public typealias LogoutStore = IntakeStore & DeliveryQueueStore & RegistryStore & LogStore & MaintenanceStore
    & BrowserLogoutStore
    & RevocationStore
    & KeyScheduleStore
    & SharedSignalsStore
    & SecurityEventQueue
    & UpstreamStreamStore

/// Browser logout's short-lived records (BR-6).
public protocol BrowserLogoutStore: Sendable {
    /// Keeps `record` (and forgets expired ones, so the table stays small).
    func saveEndSessionReturn(_ record: EndSessionReturn, now: Timestamp) async throws
    /// The record of `stateHash` unless it has expired, read without a write: a state we never
    /// issued costs no transaction (SEC-4).
    func findEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn?
    /// Removes the record of `stateHash` and returns it unless it has expired: a second call,
    /// or a call after `expiresAt`, finds nothing.
    func takeEndSessionReturn(stateHash: String, now: Timestamp) async throws -> EndSessionReturn?
}

/// The queue of upstream token revocations (BR-8), drained by the same engine as the
/// deliveries' queue: the same claims, leases, releases and clock-step bounds.
public protocol RevocationStore: Sendable {
    /// Leases due revocations within the request's bounds, per issuer; an access token waits for
    /// its session's refresh token.
    func claimDueRevocations(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedRevocation]
    /// Stores attempts' outcomes, ending their leases, all or none; a revoked token is erased in
    /// the write that records it. An outcome whose lease another replica took over is dropped,
    /// and returned.
    @discardableResult
    func recordRevocations(_ reports: [RevocationReport]) async throws -> [Int64]
    /// Gives leased revocations back to the queue, due at `now` (graceful stop).
    func releaseRevocationLeases(ids: [Int64], now: Timestamp) async throws
    /// The earliest due time of a waiting revocation, leased ones included.
    func nextRevocationDueAt() async throws -> Timestamp?
    /// Q-5 for revocations: due times further ahead than `latest` are brought to `now + latest`.
    func boundRevocationDueTimes(now: Timestamp, latest: Duration) async throws -> Int
    func revocations(_ query: RevocationQuery) async throws -> [RevocationRecord]
    /// Queues a failed revocation again.
    func retryRevocation(id: Int64, now: Timestamp) async throws -> RetryOutcome
}
