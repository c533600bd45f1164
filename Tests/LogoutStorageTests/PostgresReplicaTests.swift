import Foundation
import Logging
import LogoutCore
import LogoutPostgres
import TestSupport
import Testing

/// Several replicas on one PostgreSQL database: what the shared store must hold between them
/// (IN-12 replay, Q-1 claims and leases, Q-4 cluster-wide caps), each replica a store of its own.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL (installed, or LOGOUTD_TEST_POSTGRES_URL)"))
struct PostgresReplicaTests {
    let now = StoreFixture.now

    /// Replicas on one fresh database, opened together (their migrations race).
    func replicas(_ count: Int, cap: Int = 1_000) async throws -> [PostgresStore] {
        let url = try await TestPostgres.freshDatabase()
        return try await withThrowingTaskGroup(of: (Int, PostgresStore).self) { group in
            for index in 0..<count {
                group.addTask {
                    let store = try await PostgresStore.open(
                        try PostgresLocation(url: url),
                        password: nil,
                        owner: "replica-\(index)",
                        perRPLeaseCap: cap,
                        operationTimeout: .seconds(30),
                        logger: .init(label: "test")
                    )
                    return (index, store)
                }
            }
            var stores: [(Int, PostgresStore)] = []
            for try await store in group { stores.append(store) }
            return stores.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    func registry(_ store: PostgresStore, rps: [String], subjects: Int) async throws -> StoreFixture {
        let values = StoreFixture.around(store)
        try await store.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
        for rp in rps {
            try await store.insertRelyingParty(values.rp(rp))
            for index in 0..<subjects {
                _ = try await store.insertSession(values.session(rp, sub: "u\(index)"), now: now)
            }
        }
        return values
    }

    @Test func replicasStartingTogetherMigrateOnce() async throws {
        let stores = try await replicas(3)
        for store in stores { #expect(await store.isReadable()) }
        #expect(Set(stores.map(\.schemaVersion)).count == 1)
    }

    /// IN-12 across replicas: the same token arriving at every replica at once is accepted once;
    /// the others answer it as a duplicate of that one event.
    @Test func oneTokenAtEveryReplicaAtOnceIsAcceptedOnce() async throws {
        let stores = try await replicas(3)
        let values = try await registry(stores[0], rps: ["a"], subjects: 1)
        let outcomes = try await withThrowingTaskGroup(of: RecordedLogout.self) { group in
            for index in 0..<12 {
                group.addTask { try await stores[index % 3].recordLogout(values.logout(sub: "u0"), now: now) }
            }
            var outcomes: [RecordedLogout] = []
            for try await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let accepted = outcomes.compactMap { outcome -> Int64? in
            if case .accepted(let id, 1, _, _) = outcome { return id }
            return nil
        }
        #expect(accepted.count == 1)
        #expect(outcomes.filter { $0 == .duplicate(originalEventID: accepted.first ?? -1) }.count == 11)
        #expect(try await stores[1].deliveries(DeliveryQuery()).count == 1)
    }

    /// claims racing on three replicas lease every delivery exactly once.
    @Test func racingClaimsLeaseEachDeliveryOnce() async throws {
        let stores = try await replicas(3)
        let values = try await registry(stores[0], rps: ["a", "b", "c"], subjects: 40)
        for index in 0..<40 {
            _ = try await stores[index % 3].recordLogout(
                values.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: now
            )
        }
        // Three replicas claim at once, round after round: an RP another replica is claiming
        // for is skipped, never waited for, so a round may lease little; none leases twice.
        var claimed: [Int64] = []
        for round in 0..<40 where claimed.count < 120 {
            claimed += try await withThrowingTaskGroup(of: [Int64].self) { group in
                for replica in 0..<3 {
                    group.addTask {
                        let request = ClaimRequest(
                            limit: 15,
                            available: [:],
                            defaultAvailable: 5,
                            rotation: round + replica,
                            lease: .seconds(60)
                        )
                        return try await stores[replica].claimDue(request, now: now).map(\.id)
                    }
                }
                var all: [Int64] = []
                for try await ids in group { all += ids }
                return all
            }
        }
        #expect(claimed.count == 120)
        #expect(Set(claimed).count == claimed.count)
    }

    /// the per-RP cap counts the leases of every replica.
    @Test func thePerRPCapHoldsAcrossReplicas() async throws {
        let stores = try await replicas(2, cap: 4)
        let values = try await registry(stores[0], rps: ["a"], subjects: 10)
        for index in 0..<10 {
            _ = try await stores[0].recordLogout(
                values.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: now
            )
        }
        let request = ClaimRequest(limit: 100, available: [:], defaultAvailable: 100, rotation: 0, lease: .seconds(60))
        #expect(try await stores[0].claimDue(request, now: now).count == 4)
        #expect(try await stores[1].claimDue(request, now: now).isEmpty)
        // Once the leases expire (a replica died), the other takes the RP's share over.
        #expect(try await stores[1].claimDue(request, now: now + .seconds(61)).count == 4)
    }

    /// A restarting replica releases its own leases, never those of a replica still running; an
    /// outcome of a replica whose lease was taken over meanwhile is dropped.
    @Test func leasesBelongToTheirReplica() async throws {
        let stores = try await replicas(2)
        let values = try await registry(stores[0], rps: ["a"], subjects: 2)
        _ = try await stores[0].recordLogout(values.logout(sub: "u0", jti: "j0", hash: "h0"), now: now)
        _ = try await stores[0].recordLogout(values.logout(sub: "u1", jti: "j1", hash: "h1"), now: now)
        let request = ClaimRequest(limit: 1, available: [:], defaultAvailable: 1, rotation: 0, lease: .seconds(60))
        let first = try #require(try await stores[0].claimDue(request, now: now).first)
        let second = try #require(try await stores[1].claimDue(request, now: now).first)
        #expect(first.id != second.id)
        #expect(try await stores[1].releaseAllLeases(now: now) == 1)
        #expect(try await stores[0].claimDue(request, now: now).map(\.id) == [second.id])
        // Replica 0 stalls past its lease on `first`; replica 1 takes it over and delivers it.
        let takenOver = try #require(try await stores[1].claimDue(request, now: now + .seconds(61)).first)
        #expect(takenOver.id == first.id)
        var generator = SystemRandomNumberGenerator()
        let delivered = DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: 200)),
            attemptsBefore: 0,
            createdAt: now,
            finishedAt: now + .seconds(62),
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
        let late = DeliveryTransition.skipped(
            attempts: 1,
            reason: "late outcome of a stalled replica",
            at: now + .seconds(63)
        )
        let kept = try await stores[1].recordAttempts(
            [AttemptReport(deliveryID: first.id, clientID: "a", attempt: nil, transition: delivered)]
        )
        #expect(kept.isEmpty)
        // the stalled replica hears that its outcome was dropped, so it says so instead of
        // logging it as its own.
        let dropped = try await stores[0].recordAttempts(
            [AttemptReport(deliveryID: first.id, clientID: "a", attempt: nil, transition: late)]
        )
        #expect(dropped == [first.id])
        let (record, _) = try #require(try await stores[0].delivery(id: first.id))
        #expect(record.status == .delivered)
    }
}
