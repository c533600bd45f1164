/// The SETs of push streams as a queue of the one engine (SSF-4): the same claims, leases,
/// releases and clock-step bounds as deliveries and revocations. Only enabled push streams'
/// pending SETs are due: a paused stream's are held, a poll stream's wait for its receiver.
public protocol SecurityEventQueue: Sendable {
    /// Leases due SETs within the request's bounds, per stream, oldest first.
    func claimDueSecurityEvents(_ request: ClaimRequest, now: Timestamp) async throws -> [ClaimedSecurityEvent]
    /// Stores pushes' outcomes, ending their leases, all or none. Only a SET still pending
    /// changes (a receiver that switched its stream to poll may have acknowledged it meanwhile),
    /// and on PostgreSQL only one still under the lease it was pushed under. Returns the SETs
    /// whose outcome was dropped that way.
    @discardableResult
    func recordSecurityEvents(_ reports: [SecurityEventReport]) async throws -> [Int64]
    /// Gives leased SETs back to the queue, due at `now` (graceful stop).
    func releaseSecurityEventLeases(ids: [Int64], now: Timestamp) async throws
    /// The earliest due time of a SET of an enabled push stream, leased ones included.
    func nextSecurityEventDueAt() async throws -> Timestamp?
    /// Q-5 for SETs: due times further ahead than `latest` are brought to `now + latest`.
    func boundSecurityEventDueTimes(now: Timestamp, latest: Duration) async throws -> Int
}
