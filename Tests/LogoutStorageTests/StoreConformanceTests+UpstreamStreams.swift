import Foundation
import LogoutCore
import TestSupport
import Testing

/// Our streams at issuers' transmitters, on every store: the admin's settings start a new
/// generation, a token alone does not; progress is written only for the current generation;
/// one replica holds a stream's lease at a time; a verification marks only the stream and state
/// we wait for; the issuer's removal takes its stream along.
extension StoreConformanceTests {
    static let hubSettings = UpstreamStream.Settings(
        configurationURL: "https://hub/.well-known/ssf-configuration",
        delivery: .poll
    )

    @Test(arguments: StoreKind.allCases)
    func upstreamStreamsFollowTheirSettingsAndGenerations(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let store = f.store
        await #expect(throws: RegistryError.self) {
            try await store.configureUpstreamStream(
                issuer: "nobody",
                settings: Self.hubSettings,
                sealedToken: [1],
                now: f.now
            )
        }
        await #expect(throws: RegistryError.self, "a new stream needs a token") {
            try await store.configureUpstreamStream(
                issuer: "idp",
                settings: Self.hubSettings,
                sealedToken: nil,
                now: f.now
            )
        }
        try await f.store.configureUpstreamStream(
            issuer: "idp",
            settings: Self.hubSettings,
            sealedToken: [1, 2],
            now: f.now
        )
        var stream = try #require(try await f.store.upstreamStream(issuer: "idp"))
        #expect(stream.state == .creating && stream.sealedToken == [1, 2])
        let first = stream.generation
        #expect(stream.settings == Self.hubSettings && stream.streamID == nil && stream.updatedAt == f.now)

        // Progress of the current generation is kept, and read back whole.
        stream.state = .verifying
        stream.streamID = "s-1"
        stream.pollURL = "https://hub/poll/s-1"
        stream.configurationEndpoint = "https://hub/streams"
        stream.verificationState = "v-1"
        stream.lastError = "HTTP 503"
        stream.lastErrorAt = f.now
        stream.lastPolledAt = f.now + .seconds(1)
        #expect(try await f.store.recordUpstreamStream(stream, owner: "a", now: f.now + .seconds(2)))
        var read = try #require(try await f.store.upstreamStream(issuer: "idp"))
        #expect(read.updatedAt == f.now + .seconds(2))
        read.updatedAt = stream.updatedAt
        #expect(read == stream)

        // A verification of another stream or state changes nothing; the awaited one verifies.
        #expect(
            !(try await f.store.markUpstreamStreamVerified(issuer: "idp", streamID: "s-1", state: "v-0", now: f.now))
        )
        #expect(
            !(try await f.store.markUpstreamStreamVerified(issuer: "idp", streamID: "s-0", state: "v-1", now: f.now))
        )
        let verifiedAt = f.now + .seconds(3)
        #expect(
            try await f.store.markUpstreamStreamVerified(issuer: "idp", streamID: "s-1", state: "v-1", now: verifiedAt)
        )
        read = try #require(try await f.store.upstreamStream(issuer: "idp"))
        #expect(read.state == .verified && read.verifiedAt == verifiedAt && read.lastError == nil)

        // A new token alone: same generation and progress.
        try await f.store.configureUpstreamStream(
            issuer: "idp",
            settings: Self.hubSettings,
            sealedToken: [3],
            now: f.now
        )
        read = try #require(try await f.store.upstreamStream(issuer: "idp"))
        #expect(read.generation == first && read.state == .verified && read.sealedToken == [3])

        // New settings: the next generation starts over with the kept token; the old one's
        // progress may no longer be written.
        var push = Self.hubSettings
        push.delivery = .push
        try await f.store.configureUpstreamStream(issuer: "idp", settings: push, sealedToken: nil, now: f.now)
        read = try #require(try await f.store.upstreamStream(issuer: "idp"))
        #expect(read.generation != first && read.state == .creating && read.streamID == nil && read.sealedToken == [3])
        #expect(read.settings.delivery == .push)
        #expect(!(try await f.store.recordUpstreamStream(stream, owner: "a", now: f.now)), "a stale generation wrote")
        #expect(try await f.store.upstreamStreams().map(\.issuerName) == ["idp"])

        // Removed with nil, and with its issuer; set up again, it never gets an old generation
        // back (a step of the old one would write into it).
        let second = read.generation
        try await f.store.configureUpstreamStream(issuer: "idp", settings: nil, sealedToken: nil, now: f.now)
        #expect(try await f.store.upstreamStream(issuer: "idp") == nil)
        try await f.store.configureUpstreamStream(
            issuer: "idp",
            settings: Self.hubSettings,
            sealedToken: [1],
            now: f.now
        )
        let third = try #require(try await f.store.upstreamStream(issuer: "idp")).generation
        #expect(third != first && third != second)
        try await f.store.deleteIssuer(named: "idp")
        #expect(try await f.store.upstreamStreams().isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func oneReplicaHoldsAnUpstreamStreamsLease(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.configureUpstreamStream(
            issuer: "idp",
            settings: Self.hubSettings,
            sealedToken: [1],
            now: f.now
        )
        let until = f.now + .seconds(60)
        let stream = try #require(try await f.store.upstreamStream(issuer: "idp"))
        let current = stream.generation
        func lease(_ owner: String, at: Timestamp, generation: Int64? = nil) async throws -> Bool {
            try await f.store.leaseUpstreamStream(
                issuer: "idp",
                generation: generation ?? current,
                owner: owner,
                until: until,
                now: at
            )
        }
        #expect(try await lease("a", at: f.now))
        #expect(try await lease("a", at: f.now + .seconds(10)), "renewed by its owner")
        #expect(!(try await lease("b", at: f.now + .seconds(59))), "taken while another's lease runs")
        #expect(try await f.store.recordUpstreamStream(stream, owner: "a", now: f.now), "its holder writes")
        #expect(try await lease("b", at: until), "taken once it ran out")
        #expect(!(try await f.store.recordUpstreamStream(stream, owner: "a", now: until)), "its former holder wrote")
        #expect(!(try await lease("b", at: until, generation: current &+ 1)), "a generation that is not the stored one")
        #expect(
            !(try await f.store.leaseUpstreamStream(
                issuer: "other",
                generation: current,
                owner: "a",
                until: until,
                now: f.now
            ))
        )
    }
}
