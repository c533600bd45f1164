import Foundation
import LogoutCore
import TestSupport
import Testing

/// The revocation queue as the one queue engine drives it, on every store: claims shared out by
/// issuer within the request's slots, batched outcomes, leases handed back, due times bounded
/// after a clock step back.
@Suite struct RevocationQueueStoreTests {
    /// Two issuers with revocation endpoints, each with `count` ended sessions holding a refresh token.
    static func queued(_ kind: StoreKind, count: Int) async throws -> StoreFixture {
        let f = try await RevocationStoreTests.fixture(kind)
        var other = StoreFixture.issuer("rev2", iss: "https://rev2")
        other.issuer.revocationEndpoint = "http://127.0.0.1:1/revoke"
        try await f.store.insertIssuer(other)
        for issuer in ["rev", "rev2"] {
            for index in 0..<count {
                var session = RevocationStoreTests.session(issuer: issuer, refresh: [1], access: nil)
                session.sub = "u\(index)"
                _ = try await f.store.insertSession(session, now: f.now)
                var logout = RevocationStoreTests.logout(issuer: issuer, jti: "\(issuer)-\(index)")
                logout.request.sub = "u\(index)"
                _ = try await f.store.recordLogout(logout, now: f.now)
            }
        }
        return f
    }

    static func request(limit: Int, available: [String: Int] = [:], rotation: Int = 0) -> ClaimRequest {
        ClaimRequest(limit: limit, available: available, defaultAvailable: 2, rotation: rotation, lease: .seconds(60))
    }

    @Test(arguments: StoreKind.allCases)
    func claimsAreSharedOutByIssuerWithinTheirSlots(kind: StoreKind) async throws {
        let f = try await Self.queued(kind, count: 3)
        let first = try await f.store.claimDueRevocations(Self.request(limit: 10, available: ["rev": 1]), now: f.now)
        #expect(first.filter { $0.issuerName == "rev" }.count == 1, "rev's own slots")
        #expect(first.filter { $0.issuerName == "rev2" }.count == 2, "the default slots")
        let rotated = try await f.store.claimDueRevocations(Self.request(limit: 1, rotation: 1), now: f.now)
        #expect(rotated.map(\.issuerName) == ["rev2"], "the round starts at the rotation")
        let leased = Set((first + rotated).map(\.id))
        #expect(leased.count == 4, "never the same revocation twice")
        let rest = try await f.store.claimDueRevocations(Self.request(limit: 10), now: f.now)
        #expect(Set(rest.map(\.id)).isDisjoint(with: leased) && rest.count == 2)
    }

    @Test(arguments: StoreKind.allCases)
    func outcomesAreStoredTogetherAndLeasesHandedBack(kind: StoreKind) async throws {
        let f = try await Self.queued(kind, count: 2)
        let claimed = try await f.store.claimDueRevocations(Self.request(limit: 10), now: f.now)
        #expect(claimed.count == 4)
        try await f.store.recordRevocations(
            claimed.prefix(2).map {
                RevocationReport($0, RevocationTransition(status: .revoked, attempts: 1, finishedAt: f.now))
            }
        )
        let back = claimed.dropFirst(2).map(\.id)
        try await f.store.releaseRevocationLeases(ids: back, now: f.now + .seconds(1))
        let again = try await f.store.claimDueRevocations(Self.request(limit: 10), now: f.now + .seconds(1))
        #expect(Set(again.map(\.id)) == Set(back), "handed back, due at once; the revoked ones are done")
        let revoked = try await f.store.revocations(RevocationQuery(status: .revoked))
        #expect(revoked.count == 2 && revoked.allSatisfy { !$0.tokenStored }, "a revoked token is erased")
    }

    @Test(arguments: StoreKind.allCases)
    func dueTimesFromASteppedBackClockAreBounded(kind: StoreKind) async throws {
        let f = try await Self.queued(kind, count: 1)
        let claimed = try await f.store.claimDueRevocations(Self.request(limit: 10), now: f.now)
        let farAway = f.now + .seconds(86_400 * 30)
        try await f.store.recordRevocations(
            claimed.map {
                RevocationReport(
                    $0,
                    RevocationTransition(status: .retrying, attempts: 1, nextAttemptAt: farAway, lastError: "503")
                )
            }
        )
        let moved = try await f.store.boundRevocationDueTimes(now: f.now, latest: .seconds(3600))
        #expect(moved == 2)
        #expect(try await f.store.nextRevocationDueAt() == f.now + .seconds(3600))
    }
}
