import LogoutCore
import TestSupport
import Testing

/// BR-6: the record of a browser sent to the upstream IdP is used once, and not after it expires.
@Suite struct EndSessionReturnStoreTests {
    @Test(arguments: StoreKind.allCases)
    func aReturnIsTakenOnceAndNotAfterItExpires(kind: StoreKind) async throws {
        let fixture = try await StoreFixture.make(kind)
        let store = fixture.store
        let now = fixture.now
        let record = EndSessionReturn(
            stateHash: "h1",
            returnTo: "https://rp/bye?state=x",
            language: .fr,
            expiresAt: now + .seconds(600)
        )
        try await store.saveEndSessionReturn(record, now: now)
        try await store.saveEndSessionReturn(
            EndSessionReturn(stateHash: "h2", returnTo: nil, language: .en, expiresAt: now + .seconds(600)),
            now: now
        )
        // Found without being spent: a callback from another browser reads, never takes.
        #expect(try await store.findEndSessionReturn(stateHash: "h1", now: now + .seconds(5)) == record)
        #expect(try await store.findEndSessionReturn(stateHash: "h1", now: now + .seconds(5)) == record)
        #expect(try await store.findEndSessionReturn(stateHash: "nope", now: now) == nil)
        #expect(try await store.findEndSessionReturn(stateHash: "h2", now: now + .seconds(600)) == nil, "expired")
        #expect(try await store.takeEndSessionReturn(stateHash: "h1", now: now + .seconds(5)) == record)
        #expect(try await store.findEndSessionReturn(stateHash: "h1", now: now + .seconds(6)) == nil, "spent")
        #expect(try await store.takeEndSessionReturn(stateHash: "h1", now: now + .seconds(6)) == nil, "used twice")
        #expect(try await store.takeEndSessionReturn(stateHash: "nope", now: now) == nil)
        #expect(try await store.takeEndSessionReturn(stateHash: "h2", now: now + .seconds(600)) == nil, "expired")
    }
}
