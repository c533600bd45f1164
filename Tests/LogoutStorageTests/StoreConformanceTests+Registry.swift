import Foundation
import LogoutCore
import TestSupport
import Testing

/// The registry's listings and in-place changes (RES-1, SEC-5), on every store.
extension StoreConformanceTests {
    /// An issuer is changed in place (`issuers update`): its sessions and their queued work stay,
    /// the listing shows the new row, and no two registrations ever share an `iss`.
    @Test(arguments: StoreKind.allCases)
    func issuersAreListedByNameAndReplacedInPlace(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let app = StoreFixture.issuer("app", iss: "https://app", source: .sharedSecret)
        try await f.store.insertIssuer(app)
        #expect(try await f.store.issuers() == [app, StoreFixture.issuer("idp", iss: "https://idp")])
        await #expect(throws: RegistryError.self) {
            try await f.store.insertIssuer(StoreFixture.issuer("copy", iss: "https://app"))
        }
        #expect(try await f.store.issuers().map(\.issuer.name) == ["app", "idp"], "a refused insert left a row")
        #expect(try await f.store.issuersSharingAnIss() == [])

        try await f.store.insertRelyingParty(f.rp("a"))
        let session = try await f.store.insertSession(f.session("a", sub: "kept"), now: f.now)
        _ = try await f.store.insertSession(f.session("a", sub: "queued"), now: f.now)
        _ = try await f.store.recordLogout(f.logout(sub: "queued"), now: f.now)

        var changed = StoreFixture.issuer("idp", iss: "https://idp")
        changed.issuer.endSessionEndpoint = "https://idp/end"
        changed.issuer.revocationEndpoint = "https://idp/revoke"
        changed.issuer.clientID = "logoutd"
        changed.issuer.hasClientSecret = true
        changed.issuer.frontchannelIntake = true
        changed.sealedClientSecret = [4, 5, 6]
        try await f.store.replaceIssuer(changed)
        #expect(try await f.store.issuer(named: "idp") == changed)
        #expect(try await f.store.issuers() == [app, changed])
        #expect(try await f.store.sessions(SessionQuery()).map(\.id) == [session.id], "the session went")
        #expect(try await f.store.deliveries(DeliveryQuery()).map(\.status) == [.pending], "its queued work went")

        await #expect(throws: RegistryError.notFound("no issuer named nobody")) {
            try await f.store.replaceIssuer(StoreFixture.issuer("nobody", iss: "https://nobody"))
        }
        #expect(try await f.store.issuers().map(\.issuer.name) == ["app", "idp"], "a miss inserted a row")
    }

    /// FC-3: the front-channel bridge asks whether a live session of the issuer (by name or
    /// `iss`) holds a `sid`; ended sessions and other issuers' do not count.
    @Test(arguments: StoreKind.allCases)
    func liveSessionsAreFoundByTheirSid(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertIssuer(StoreFixture.issuer("other", iss: "https://other"))
        try await f.store.insertRelyingParty(f.rp("a"))
        let held = try await f.store.insertSession(f.session("a", sub: "x", sid: "s-1"), now: f.now)
        _ = try await f.store.insertSession(f.session("a", sub: "y", sid: "s-2"), now: f.now)
        var elsewhere = f.session("a", sub: "z", sid: "s-1")
        elsewhere.issuerName = "other"
        _ = try await f.store.insertSession(elsewhere, now: f.now)
        for issuer in ["idp", "https://idp"] {
            #expect(try await f.store.sessions(SessionQuery(issuer: issuer, sid: "s-1")).map(\.id) == [held.id])
        }
        #expect(try await f.store.sessions(SessionQuery(issuer: "idp", sid: "s-3")).isEmpty)
        _ = try await f.store.recordLogout(f.logout(sub: "x"), now: f.now)
        #expect(try await f.store.sessions(SessionQuery(issuer: "idp", sid: "s-1")).isEmpty, "an ended session")
        #expect(try await f.store.sessions(SessionQuery(issuer: "idp", sid: "s-1", includeEnded: true)).count == 1)
    }

    /// RPs are listed by client_id with their breaker; a new RP's breaker is closed.
    @Test(arguments: StoreKind.allCases)
    func relyingPartiesAreListedByClientID(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        #expect(try await f.store.relyingParties().isEmpty)
        for id in ["b", "c", "a"] { try await f.store.insertRelyingParty(f.rp(id)) }
        var follower = f.rp("d", subjects: .all, issuers: ["idp"])
        follower.relyingParty.frontchannelLogoutURI = "https://d.example/front"
        try await f.store.insertRelyingParty(follower)
        let listed = try await f.store.relyingParties()
        #expect(listed.map(\.relyingParty.clientID) == ["a", "b", "c", "d"])
        #expect(listed.last == follower)
        #expect(listed.allSatisfy { $0.breaker == CircuitBreaker() })
        try await f.store.deleteRelyingParty(clientID: "b")
        #expect(try await f.store.relyingParties().map(\.relyingParty.clientID) == ["a", "c", "d"])
    }

    /// `sessions delete`: the session is gone from every listing and a logout no longer reaches
    /// its RP; a session that does not exist is a miss, not a success.
    @Test(arguments: StoreKind.allCases)
    func aDeletedSessionIsGoneAndEndsNothing(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        try await f.store.insertRelyingParty(f.rp("b"))
        let deleted = try await f.store.insertSession(f.session("a"), now: f.now)
        let kept = try await f.store.insertSession(f.session("b"), now: f.now)
        try await f.store.deleteSession(id: deleted.id)
        #expect(try await f.store.sessions(SessionQuery(includeEnded: true)).map(\.id) == [kept.id])
        await #expect(throws: RegistryError.notFound("no session with id \(deleted.id)")) {
            try await f.store.deleteSession(id: deleted.id)
        }
        guard case .accepted(let eventID, 1, _, _) = try await f.store.recordLogout(f.logout(), now: f.now) else {
            Issue.record("the logout did not fan out to the remaining session only")
            return
        }
        #expect(try await f.store.deliveries(DeliveryQuery(eventID: eventID)).map(\.clientID) == ["b"])
    }
}
