import LogoutCore
import Synchronization

/// The deliveries this process has claimed and not yet recorded, held in memory rather than in
/// their rows.
///
/// A lease only has to outlive its holder where other processes share the queue (PostgreSQL).
/// This file has one daemon (its lock), and a crash ends every lease with the process that held
/// it, as `releaseAllLeases` at start already did. Written into the row, the lease cost every
/// delivery an `UPDATE` that moved it in `deliveries_due` (callgrind: 25,600 instructions), a
/// write inside the one writer's time that acknowledgements wait behind, and the outcome a second
/// change of the same columns. Its end keeps its meaning: an expired lease is claimable again,
/// as a row whose due time was the lease's end was.
///
/// Changed inside the writer's transactions (claims, outcomes, releases, redeliveries), whose
/// order is the writer's: a write sees every lease that an earlier one added or ended. A write
/// whose transaction fails takes its changes back (`Undo`).
final class DeliveryLeases: Sendable {
    struct Lease: Sendable, Equatable {
        var leasedAt: Timestamp
        var until: Timestamp
    }

    /// What one write changed in the leases, to take back if its transaction fails after all:
    /// the leases it took end, and the ones it ended come back. Taken back once.
    final class Undo: Sendable {
        typealias Change = (id: Int64, clientID: String, lease: Lease)
        fileprivate let changes = Mutex<(taken: [Change], ended: [Change])>(([], []))
    }

    /// By RP, as claims ask (an RP's claim skips its own leases only), and each lease's RP, as
    /// outcomes end them.
    private struct Held {
        var byRP: [String: [Int64: Lease]] = [:]
        var owner: [Int64: String] = [:]

        /// The lease's RP and the lease, if `id` had one.
        mutating func end(_ id: Int64) -> (clientID: String, lease: Lease)? {
            guard let clientID = owner.removeValue(forKey: id) else { return nil }
            let lease = byRP[clientID]?.removeValue(forKey: id)
            if byRP[clientID]?.isEmpty == true { byRP[clientID] = nil }
            return lease.map { (clientID, $0) }
        }
    }

    private let held = Mutex(Held())

    /// The RP's deliveries under a lease that still runs at `now`; the expired ones are dropped
    /// (claimable again, as their due time was the lease's end).
    func running(clientID: String, at now: Timestamp) -> [Int64: Lease] {
        held.withLock { held in
            guard let leases = held.byRP[clientID] else { return [:] }
            guard leases.values.contains(where: { $0.until <= now }) else { return leases }
            for (id, lease) in leases where lease.until <= now { _ = held.end(id) }
            return held.byRP[clientID] ?? [:]
        }
    }

    /// Which of `ids` hold a lease, running or expired (not taken again yet).
    func held(_ ids: [Int64]) -> Set<Int64> {
        held.withLock { held in Set(ids.filter { held.owner[$0] != nil }) }
    }

    /// Leases `ids` of the RP, inside the write that claims them (`undo` ends them again).
    func add(_ ids: [Int64], clientID: String, _ lease: Lease, undo: Undo? = nil) {
        guard !ids.isEmpty else { return }
        held.withLock { held in
            for id in ids {
                // An expired lease taken again is replaced, never kept beside the new one.
                _ = held.end(id)
                held.byRP[clientID, default: [:]][id] = lease
                held.owner[id] = clientID
            }
        }
        undo?.changes.withLock { $0.taken += ids.map { ($0, clientID, lease) } }
    }

    /// Ends the leases of `ids`, inside the write whose commit ends them (`undo` brings them
    /// back): a later write then finds them ended, and no write in between finds them still
    /// held. Returns the ids that had one.
    @discardableResult
    func end(_ ids: some Sequence<Int64>, undo: Undo? = nil) -> Set<Int64> {
        let ended = held.withLock { held in
            ids.compactMap { id in held.end(id).map { (id: id, clientID: $0.clientID, lease: $0.lease) } }
        }
        undo?.changes.withLock { $0.ended += ended }
        return Set(ended.map(\.id))
    }

    /// Takes back what a failed write changed, in the writer's order (from inside the write, or
    /// the transaction's rollback): the leases it took end, unless taken again since, and those
    /// it ended come back, unless the row has been leased again since. A second call does nothing.
    func undo(_ undo: Undo) {
        let changes = undo.changes.withLock { changes in
            defer { changes = ([], []) }
            return changes
        }
        held.withLock { held in
            for (id, clientID, lease) in changes.taken where held.byRP[clientID]?[id] == lease {
                _ = held.end(id)
            }
            for (id, clientID, lease) in changes.ended where held.owner[id] == nil {
                held.byRP[clientID, default: [:]][id] = lease
                held.owner[id] = clientID
            }
        }
    }

    /// Every lease by RP, running or expired: an expired one is due at its end, now past.
    func byRelyingParty() -> [String: [Int64: Lease]] {
        held.withLock { $0.byRP }
    }

    /// Every lease, running or expired (an expired one still marks a row claimed and not yet
    /// taken again, as the stored lease did): for the admin's views.
    func all() -> [Int64: Lease] {
        held.withLock { held in
            var flat: [Int64: Lease] = [:]
            for leases in held.byRP.values { flat.merge(leases) { first, _ in first } }
            return flat
        }
    }

    /// Ends every lease (at start, or when the store is handed to a new process in a test).
    func endAll() -> [Int64] {
        held.withLock { held in
            defer { held = Held() }
            return Array(held.owner.keys)
        }
    }
}
