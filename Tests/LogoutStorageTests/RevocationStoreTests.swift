import Foundation
import LogoutCore
import TestSupport
import Testing

/// The revocation queue (BR-8) on every store: queued with the logout that ends the session, the
/// refresh token before the access token, tokens moved out of the session and erased once revoked.
@Suite struct RevocationStoreTests {
    /// An issuer `rev` with a revocation endpoint and client credentials, and RP `a`.
    static func fixture(_ kind: StoreKind) async throws -> StoreFixture {
        let f = try await StoreFixture.make(kind)
        var stored = StoreFixture.issuer("rev", iss: "https://rev")
        stored.issuer.revocationEndpoint = "http://127.0.0.1:1/revoke"
        stored.issuer.clientID = "logoutd"
        stored.issuer.hasClientSecret = true
        stored.sealedClientSecret = [9, 9]
        try await f.store.insertIssuer(stored)
        try await f.store.insertRelyingParty(f.rp("a"))
        return f
    }

    static func session(issuer: String, refresh: [UInt8]?, access: [UInt8]?) -> NewSession {
        NewSession(
            issuerName: issuer,
            sub: "u",
            sid: nil,
            clientID: "a",
            rpSub: "u",
            rpSid: nil,
            expiresAt: nil,
            sealTokens: { _ in SealedSessionTokens(idToken: [7], accessToken: access, refreshToken: refresh) }
        )
    }

    static func logout(issuer: String, jti: String) -> AcceptedLogout {
        AcceptedLogout(
            request: LogoutRequest(source: issuer, issuerName: issuer, sub: "u", sid: nil),
            iss: "https://" + issuer,
            jti: jti,
            replay: nil,
            tokenHash: jti,
            clientAddress: nil
        )
    }

    @Test(arguments: StoreKind.allCases)
    func refreshThenAccessAndTheTokenIsErasedOnceRevoked(kind: StoreKind) async throws {
        let f = try await Self.fixture(kind)
        let session = try await f.store.insertSession(
            Self.session(issuer: "rev", refresh: [1], access: [2]),
            now: f.now
        )
        guard
            case .accepted(let eventID, _, _, _) = try await f.store.recordLogout(
                Self.logout(issuer: "rev", jti: "1"),
                now: f.now
            )
        else {
            Issue.record("not accepted")
            return
        }
        let queued = try await f.store.revocations(RevocationQuery(eventID: eventID))
        #expect(queued.map(\.tokenType).sorted { $0.rawValue < $1.rawValue } == [.accessToken, .refreshToken])
        #expect(queued.allSatisfy { $0.status == .pending && $0.tokenStored && $0.sessionID == session.id })

        // Only the refresh token is due: the access token waits for it.
        let first = try await f.store.claimDueRevocations(limit: 10, lease: .seconds(30), now: f.now)
        #expect(first.map(\.tokenType) == [.refreshToken])
        let refresh = try #require(first.first)
        #expect(refresh.sealedToken == [1] && refresh.endpoint == "http://127.0.0.1:1/revoke")
        #expect(refresh.clientID == "logoutd" && refresh.sealedClientSecret == [9, 9])
        #expect(try await f.store.claimDueRevocations(limit: 10, lease: .seconds(30), now: f.now).isEmpty)
        #expect(
            try await f.store.nextRevocationDueAt() == f.now + .seconds(30),
            "the leased one, not the one it blocks"
        )

        try await f.store.recordRevocation(
            id: refresh.id,
            RevocationTransition(status: .revoked, attempts: 1, lastStatusCode: 200, finishedAt: f.now)
        )
        let second = try await f.store.claimDueRevocations(limit: 10, lease: .seconds(30), now: f.now)
        #expect(second.map(\.tokenType) == [.accessToken] && second.first?.sealedToken == [2])
        let access = try #require(second.first)
        try await f.store.recordRevocation(
            id: access.id,
            RevocationTransition(
                status: .failed,
                attempts: 1,
                lastStatusCode: 401,
                lastError: "HTTP 401",
                reason: "HTTP 401",
                finishedAt: f.now
            )
        )
        let after = try await f.store.revocations(RevocationQuery())
        #expect(after.first { $0.id == refresh.id }?.tokenStored == false, "erased once revoked")
        #expect(after.first { $0.id == access.id }?.tokenStored == true, "kept for a retry after a fix")
        #expect(after.first { $0.id == access.id }?.reason == "HTTP 401")
        #expect(try await f.store.revocations(RevocationQuery(status: .failed)).map(\.id) == [access.id])

        #expect(try await f.store.retryRevocation(id: refresh.id, now: f.now) == .alreadyDelivered)
        #expect(try await f.store.retryRevocation(id: 999, now: f.now) == .notFound)
        #expect(try await f.store.retryRevocation(id: access.id, now: f.now) == .queued)
        let again = try await f.store.claimDueRevocations(limit: 10, lease: .seconds(30), now: f.now)
        #expect(again.map(\.id) == [access.id] && again.first?.attempts == 0)
        #expect(try await f.store.nextRevocationDueAt() != nil)
        #expect(try await f.store.releaseAllLeases(now: f.now) == 1, "a revocation lease is released at start")
    }

    @Test(arguments: StoreKind.allCases)
    func anIssuerWithoutRevocationEndpointQueuesNothingAndKeepsNoToken(kind: StoreKind) async throws {
        let f = try await Self.fixture(kind)
        _ = try await f.store.insertSession(Self.session(issuer: "idp", refresh: [1], access: [2]), now: f.now)
        _ = try await f.store.insertSession(Self.session(issuer: "rev", refresh: nil, access: [3]), now: f.now)
        _ = try await f.store.recordLogout(Self.logout(issuer: "idp", jti: "1"), now: f.now)
        #expect(try await f.store.revocations(RevocationQuery()).isEmpty)
        _ = try await f.store.recordLogout(Self.logout(issuer: "rev", jti: "2"), now: f.now)
        let queued = try await f.store.revocations(RevocationQuery())
        #expect(queued.map(\.tokenType) == [.accessToken], "only the token the session holds")
        // With no refresh token to wait for, the access token is due at once.
        let claimed = try await f.store.claimDueRevocations(limit: 10, lease: .seconds(30), now: f.now)
        #expect(claimed.map(\.sealedToken) == [[3]])
    }
}
