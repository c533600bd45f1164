import Foundation
import LogoutCore
import TestSupport
import Testing

/// What a lease means to the rest of the queue, on both stores: SQLite keeps its leases in the
/// process and PostgreSQL in the rows, and neither may show it (Q-1, Q-5, ADM-3).
@Suite struct StoreConformanceLeaseTests {
    /// A claim's limit is shared out by what each RP has due: an RP with one delivery due takes
    /// one of the limit's slots, not all it may have, and the RPs after it in the round get
    /// theirs (DEL-7); an RP with nothing available is passed over; the round starts at the
    /// rotation.
    @Test(arguments: StoreKind.allCases)
    func aClaimsLimitGoesToWhatEachRPHasDue(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        for rp in ["a", "b", "c", "d"] {
            try await f.store.insertRelyingParty(f.rp(rp))
            _ = try await f.store.insertSession(f.session(rp), now: f.now)
        }
        _ = try await f.store.recordLogout(f.logout(), now: f.now)
        let request = ClaimRequest(limit: 3, available: ["b": 0], defaultAvailable: 8, rotation: 1, lease: .seconds(40))
        let claimed = try await f.store.claimDue(request, now: f.now)
        #expect(claimed.map(\.clientID).sorted() == ["a", "c", "d"], "\(claimed.map(\.clientID))")
        let rest = try await f.store.claimDue(f.claim(), now: f.now)
        #expect(rest.map(\.clientID) == ["b"])
    }

    /// A claim for an RP with running leases takes the earliest rows due that are not leased,
    /// as many as its limit: the limit counts after the leased rows are passed over, not before.
    @Test(arguments: StoreKind.allCases)
    func aClaimPastRunningLeasesTakesTheNextRowsDueUpToItsLimit(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        var events: [Int64] = []
        for index in 0..<6 {
            _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now)
            // Each logout due a millisecond after the one before: the due order is the events'.
            let recorded = try await f.store.recordLogout(
                f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: f.now + .milliseconds(Int64(index))
            )
            guard case .accepted(let eventID, 1, _, _) = recorded else {
                Issue.record("not accepted with one delivery: \(recorded)")
                return
            }
            events.append(eventID)
        }
        let at = f.now + .seconds(1)
        let first = try await f.store.claimDue(f.claim(available: ["a": 2]), now: at)
        #expect(first.map(\.eventID) == Array(events[0..<2]))
        let second = try await f.store.claimDue(f.claim(available: ["a": 2]), now: at)
        #expect(second.map(\.eventID) == Array(events[2..<4]))
        let third = try await f.store.claimDue(f.claim(available: ["a": 5]), now: at)
        #expect(third.map(\.eventID) == Array(events[4..<6]))
    }

    /// An RP whose due deliveries are all leased is due at the end of their leases, not at their
    /// stored due times (else the engine claims nothing in a loop while attempts hang); a row
    /// not leased brings it forward. A leased delivery shows in flight, with no due time, and
    /// counts in flight; an outcome, a release, an expired lease and a redelivery each end it.
    @Test(arguments: StoreKind.allCases)
    func leasedDeliveriesAreInFlightAndDueAtTheirLeasesEnd(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        for index in 0..<4 {
            _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now)
        }
        for index in 0..<3 {
            _ = try await f.store.recordLogout(
                f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: f.now
            )
        }
        let claimed = try await f.store.claimDue(f.claim(), now: f.now)
        #expect(claimed.count == 3)
        #expect(try await f.store.claimDue(f.claim(), now: f.now + .seconds(1)).isEmpty, "each is leased")
        #expect(try await f.store.nextDueAt() == f.now + .seconds(40), "due when the leases end")

        let first = try #require(try await f.store.delivery(id: claimed[0].id)).0
        #expect(first.inFlightSince == f.now && first.nextAttemptAt == nil && first.status == .pending)
        var statistics = try await f.store.queueStatistics()
        #expect(statistics.inFlight == 3 && statistics.pending == 0 && statistics.retrying == 0)

        // A delivery not leased is due at its own time.
        _ = try await f.store.recordLogout(f.logout(sub: "u3", jti: "j3", hash: "h3"), now: f.now + .seconds(5))
        #expect(try await f.store.nextDueAt() == f.now + .seconds(5))
        statistics = try await f.store.queueStatistics()
        #expect(statistics.inFlight == 3 && statistics.pending == 1)

        // An outcome ends its lease: retrying, due again after the policy's first delay.
        try await f.finish(claimed[0], status: 503, at: f.now + .seconds(1))
        let retrying = try #require(try await f.store.delivery(id: claimed[0].id)).0
        #expect(retrying.status == .retrying && retrying.inFlightSince == nil)
        #expect(retrying.nextAttemptAt == f.now + .seconds(6))
        // A release ends its lease: due at the release.
        try await f.store.releaseLeases(ids: [claimed[1].id], now: f.now + .seconds(2))
        let released = try #require(try await f.store.delivery(id: claimed[1].id)).0
        #expect(released.inFlightSince == nil && released.nextAttemptAt == f.now + .seconds(2))
        #expect(try await f.store.nextDueAt() == f.now + .seconds(2))
        statistics = try await f.store.queueStatistics()
        #expect(statistics.inFlight == 1 && statistics.pending == 2 && statistics.retrying == 1)

        // Skipping the RP's waiting deliveries leaves the one in flight to its attempt.
        #expect(
            try await f.store.skipWaitingDeliveries(clientID: "a", reason: "disabled", now: f.now + .seconds(3)) == 3
        )
        let leased = try #require(try await f.store.delivery(id: claimed[2].id)).0
        #expect(leased.status == .pending && leased.inFlightSince == f.now)
        #expect(try await f.store.nextDueAt() == f.now + .seconds(40))
        // Its lease run out, it is claimed again: at least once, never lost.
        let again = try await f.store.claimDue(f.claim(), now: f.now + .seconds(41))
        #expect(again.map(\.id) == [claimed[2].id])
        #expect(try await f.store.nextDueAt() == f.now + .seconds(81))
        // An admin's redelivery of it brings it forward and ends its lease: claimable at once.
        #expect(try await f.store.retryDelivery(id: claimed[2].id, now: f.now + .seconds(42)) == .queued)
        let redelivered = try #require(try await f.store.delivery(id: claimed[2].id)).0
        #expect(redelivered.inFlightSince == nil && redelivered.nextAttemptAt == f.now + .seconds(42))
        #expect(try await f.store.claimDue(f.claim(), now: f.now + .seconds(42)).map(\.id) == [claimed[2].id])
    }
}
