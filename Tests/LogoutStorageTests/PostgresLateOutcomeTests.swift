import Foundation
import LogoutCore
import LogoutPostgres
import TestSupport
import Testing

/// Q-6 on the shared store: a replica paused past its lease wakes and reports an outcome after
/// another replica has claimed the job again and stored its own outcome, which ended that lease
/// too. The owner alone no longer tells the two leases apart (neither holds one now); the
/// lease's identity does, and the late outcome changes nothing: not the job's state, not its
/// attempt log, not the breaker.
@Suite(.enabled(if: TestPostgres.isAvailable, "needs PostgreSQL (installed, or LOGOUTD_TEST_POSTGRES_URL)"))
struct PostgresLateOutcomeTests {
    let now = StoreFixture.now
    let request = ClaimRequest(limit: 1, available: [:], defaultAvailable: 1, rotation: 0, lease: .seconds(60))

    func answer(_ status: Int, attemptsBefore: Int, at: Timestamp) -> DeliveryTransition {
        var generator = SystemRandomNumberGenerator()
        return DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: status)),
            attemptsBefore: attemptsBefore,
            createdAt: now,
            finishedAt: at,
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
    }

    func report(_ claimed: ClaimedDelivery, _ transition: DeliveryTransition, jti: String) -> AttemptReport {
        AttemptReport(
            deliveryID: claimed.id,
            clientID: claimed.clientID,
            eventID: claimed.eventID,
            attempt: AttemptRecord(
                deliveryID: claimed.id,
                attempt: transition.attempts,
                startedAt: transition.finishedAt ?? now,
                duration: .milliseconds(5),
                statusCode: transition.lastStatusCode,
                errorClass: transition.errorClass,
                jti: jti,
                rpError: nil,
                nextAttemptAt: transition.nextAttemptAt
            ),
            transition: transition,
            leaseStamp: claimed.leaseStamp
        )
    }

    @Test func aLateDeliveryOutcomeChangesNothingAfterTheNewOwnerStoredItsOwn() async throws {
        let stores = try await PostgresReplicaTests().replicas(2)
        let values = try await PostgresReplicaTests().registry(stores[0], rps: ["a"], subjects: 1)
        _ = try await stores[0].recordLogout(values.logout(sub: "u0", jti: "j0", hash: "h0"), now: now)
        let stalled = try #require(try await stores[0].claimDue(request, now: now).first)
        #expect(stalled.leaseStamp != nil, "the shared store names the lease it gives")
        // Replica 0 stalls past its lease; replica 1 claims the delivery, the RP answers 503,
        // and replica 1 stores `retrying`: no replica holds a lease on it now.
        let takenOver = try #require(try await stores[1].claimDue(request, now: now + .seconds(61)).first)
        #expect(takenOver.id == stalled.id && takenOver.leaseStamp != stalled.leaseStamp)
        let retrying = answer(503, attemptsBefore: 0, at: now + .seconds(62))
        #expect(try await stores[1].recordAttempts([report(takenOver, retrying, jti: "new-owner")]).isEmpty)
        // Replica 0 wakes and reports that its attempt, made under the old lease, was delivered.
        let late = answer(200, attemptsBefore: 0, at: now + .seconds(63))
        let dropped = try await stores[0].recordAttempts([report(stalled, late, jti: "stalled")])
        #expect(dropped == [stalled.id])
        let (record, attempts) = try #require(try await stores[1].delivery(id: stalled.id))
        #expect(record.status == .retrying, "the new owner's outcome stands")
        #expect(attempts.map(\.jti) == ["new-owner"], "the attempt log keeps the new owner's attempt")
        // Under its own lease, an outcome is stored, as always.
        let again = try #require(try await stores[0].claimDue(request, now: now + .seconds(3600)).first)
        let delivered = answer(200, attemptsBefore: 1, at: now + .seconds(3601))
        #expect(try await stores[0].recordAttempts([report(again, delivered, jti: "third")]).isEmpty)
        #expect(try await stores[1].delivery(id: stalled.id)?.0.status == .delivered)
    }

    /// A batch of outcomes goes to PostgreSQL as one statement and is still judged report by
    /// report: a stalled outcome is dropped without taking the others with it, only stored ones
    /// leave attempt rows, and a delivery named twice is judged in order (the second report
    /// finds the lease the first one ended).
    @Test func aBatchJudgesEachOutcomeByItsOwnLease() async throws {
        let stores = try await PostgresReplicaTests().replicas(2)
        let values = try await PostgresReplicaTests().registry(stores[0], rps: ["a"], subjects: 2)
        _ = try await stores[0].recordLogout(values.logout(sub: "u0", jti: "j0", hash: "h0"), now: now)
        _ = try await stores[0].recordLogout(values.logout(sub: "u1", jti: "j1", hash: "h1"), now: now)
        let two = ClaimRequest(limit: 2, available: [:], defaultAvailable: 2, rotation: 0, lease: .seconds(60))
        let claimed = try await stores[0].claimDue(two, now: now).sorted { $0.id < $1.id }
        try #require(claimed.count == 2)
        // Replica 0 stalls past its leases; replica 1 takes the first delivery over.
        let takenOver = try #require(try await stores[1].claimDue(request, now: now + .seconds(61)).first)
        #expect(takenOver.id == claimed[0].id)
        let delivered = answer(200, attemptsBefore: 0, at: now + .seconds(62))
        let batch = [report(claimed[0], delivered, jti: "stalled"), report(claimed[1], delivered, jti: "kept")]
        #expect(try await stores[0].recordAttempts(batch) == [claimed[0].id])
        let (first, firstAttempts) = try #require(try await stores[1].delivery(id: claimed[0].id))
        #expect(first.status == .pending && firstAttempts.isEmpty, "the stalled outcome changed nothing")
        let (second, secondAttempts) = try #require(try await stores[1].delivery(id: claimed[1].id))
        #expect(second.status == .delivered && secondAttempts.map(\.jti) == ["kept"])

        let retrying = answer(503, attemptsBefore: 0, at: now + .seconds(63))
        let twice = [report(takenOver, retrying, jti: "first"), report(takenOver, delivered, jti: "second")]
        #expect(try await stores[1].recordAttempts(twice) == [takenOver.id], "the second found no lease")
        let (record, attempts) = try #require(try await stores[0].delivery(id: takenOver.id))
        #expect(record.status == .retrying && attempts.map(\.jti) == ["first"])
    }

    /// A batch's integers travel as JSON strings: one past 2^53, where a `Double` is no longer
    /// exact (our serializer's numbers), is stored as it was given, not refused by the cast.
    @Test func integersPastADoublesPrecisionAreStoredExactly() async throws {
        let stores = try await PostgresReplicaTests().replicas(1)
        let values = try await PostgresReplicaTests().registry(stores[0], rps: ["a"], subjects: 1)
        _ = try await stores[0].recordLogout(values.logout(sub: "u0", jti: "j0", hash: "h0"), now: now)
        let claimed = try #require(try await stores[0].claimDue(request, now: now).first)
        var retrying = answer(503, attemptsBefore: 0, at: now + .seconds(1))
        let far = Timestamp(millisecondsSince1970: 9_007_199_254_740_993)
        retrying.nextAttemptAt = far
        #expect(try await stores[0].recordAttempts([report(claimed, retrying, jti: "far")]).isEmpty)
        let (record, attempts) = try #require(try await stores[0].delivery(id: claimed.id))
        #expect(record.nextAttemptAt == far && attempts.first?.nextAttemptAt == far)
    }

    @Test func aLateRevocationOutcomeIsDroppedAndSaidSo() async throws {
        let stores = try await PostgresReplicaTests().replicas(2)
        var issuer = StoreFixture.issuer("rev", iss: "https://rev")
        issuer.issuer.revocationEndpoint = "http://127.0.0.1:1/revoke"
        try await stores[0].insertIssuer(issuer)
        try await stores[0].insertRelyingParty(StoreFixture.around(stores[0]).rp("a"))
        _ = try await stores[0].insertSession(
            RevocationStoreTests.session(issuer: "rev", refresh: [1], access: nil),
            now: now
        )
        _ = try await stores[0].recordLogout(RevocationStoreTests.logout(issuer: "rev", jti: "r0"), now: now)
        let stalled = try #require(try await stores[0].claimDueRevocations(request, now: now).first)
        let takenOver = try #require(try await stores[1].claimDueRevocations(request, now: now + .seconds(61)).first)
        #expect(takenOver.id == stalled.id)
        let retrying = RevocationTransition(status: .retrying, attempts: 1, nextAttemptAt: now + .seconds(90))
        #expect(try await stores[1].recordRevocations([RevocationReport(takenOver, retrying)]).isEmpty)
        let late = RevocationTransition(status: .revoked, attempts: 1, finishedAt: now + .seconds(63))
        #expect(try await stores[0].recordRevocations([RevocationReport(stalled, late)]) == [stalled.id])
        let stored = try await stores[1].revocations(RevocationQuery())
        #expect(stored.map(\.status) == [.retrying] && stored.allSatisfy(\.tokenStored), "the token is kept")
    }
}
