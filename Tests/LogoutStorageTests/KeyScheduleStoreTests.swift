import Foundation
import LogoutCore
import TestSupport
import Testing

/// The key schedule every store keeps (OUT-4): first record wins, only `keys rotate --now` moves
/// when a key signs.
@Suite struct KeyScheduleStoreTests {
    static func record(_ kid: String, file: String = "f", signsFrom: Timestamp) -> SigningKeyRecord {
        SigningKeyRecord(
            keyID: kid,
            algorithm: "ES256",
            file: file,
            createdAt: StoreFixture.now,
            publishedAt: StoreFixture.now,
            signsFrom: signsFrom
        )
    }

    @Test(arguments: StoreKind.allCases)
    func aKnownKeyKeepsItsTimesUntilItIsPromoted(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let later = f.now + .seconds(86_400)
        try await f.store.recordSigningKeys([Self.record("k1", signsFrom: f.now), Self.record("k2", signsFrom: later)])
        // Seen again after a restart, under a new file name: its schedule stays.
        try await f.store.recordSigningKeys([Self.record("k2", file: "moved", signsFrom: f.now)])
        var stored = try await f.store.scheduledKeys()
        #expect(stored.map(\.keyID) == ["k1", "k2"])
        #expect(stored.last?.signsFrom == later && stored.last?.file == "moved")
        try await f.store.setSignsFrom(keyID: "k2", to: f.now + .seconds(1))
        stored = try await f.store.scheduledKeys()
        #expect(stored.last?.signsFrom == f.now + .seconds(1))
    }
}
