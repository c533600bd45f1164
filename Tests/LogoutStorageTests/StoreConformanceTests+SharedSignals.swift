import Foundation
import LogoutCore
import TestSupport
import Testing

/// SSF receivers, their streams and the streams' subjects (contract C7, SSF-2), on every store.
extension StoreConformanceTests {
    /// A receiver is found by its token's hash only; names are unique; removing it removes its
    /// streams and their subjects.
    @Test(arguments: StoreKind.allCases)
    func receiversAreFoundByTokenHashAndTakeTheirStreamsAlong(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        #expect(try await f.store.receivers().isEmpty)
        let siem = StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now)
        try await f.store.insertReceiver(StoredReceiver(name: "vpn", tokenHash: "bb22", createdAt: f.now))
        try await f.store.insertReceiver(siem)
        await #expect(throws: RegistryError.self) {
            try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "cc33", createdAt: f.now))
        }
        #expect(try await f.store.receivers().map(\.name) == ["siem", "vpn"])
        #expect(try await f.store.receiver(tokenHash: "aa11") == siem)
        #expect(try await f.store.receiver(tokenHash: "cc33") == nil, "a refused insert left its token")
        #expect(try await f.store.receiver(tokenHash: "aa1") == nil)

        let stream = f.stream("s1", receiver: "siem")
        try await f.store.insertStream(stream)
        try await f.store.insertStream(f.stream("s2", receiver: "vpn"))
        #expect(try await f.store.removeStreamSubject(streamID: "s1", subject: #"{"format":"email"}"#, now: f.now))
        #expect(try await f.store.receivers().map(\.streams) == [1, 1])

        try await f.store.deleteReceiver(named: "siem")
        #expect(try await f.store.receivers().map(\.name) == ["vpn"])
        #expect(try await f.store.stream(id: "s1") == nil, "its stream stayed")
        #expect(try await f.store.removedStreamSubjects(streamID: "s1").isEmpty, "its stream's subjects stayed")
        #expect(try await f.store.streams(receiver: nil).map(\.id) == ["s2"])
        await #expect(throws: RegistryError.notFound("no SSF receiver named siem")) {
            try await f.store.deleteReceiver(named: "siem")
        }
    }

    /// A receiver that takes access tokens is found, alone, by the `client_id` they carry: its
    /// OAuth client id, else its name; one that takes none is not; two receivers cannot answer
    /// to one client id.
    @Test(arguments: StoreKind.allCases)
    func receiversAreFoundByTheirOAuthClientID(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let siem = StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now, oauthIssuer: "idp")
        let vpn = StoredReceiver(
            name: "vpn",
            tokenHash: "bb22",
            createdAt: f.now,
            oauthIssuer: "idp",
            oauthClientID: "vpn-app"
        )
        try await f.store.insertReceiver(siem)
        try await f.store.insertReceiver(vpn)
        try await f.store.insertReceiver(StoredReceiver(name: "crm", tokenHash: "cc33", createdAt: f.now))
        #expect(try await f.store.receiver(oauthClientID: "siem") == siem)
        #expect(try await f.store.receiver(oauthClientID: "vpn-app") == vpn)
        #expect(try await f.store.receiver(oauthClientID: "vpn") == nil, "its name is not its client id")
        #expect(try await f.store.receiver(oauthClientID: "crm") == nil, "it takes no access token")
        #expect(try await f.store.receivers().first { $0.name == "vpn" }?.oauthClientID == "vpn-app")
        for taken in [
            StoredReceiver(
                name: "other",
                tokenHash: "dd44",
                createdAt: f.now,
                oauthIssuer: "idp",
                oauthClientID: "siem"
            ),
            StoredReceiver(name: "vpn-app", tokenHash: "ee55", createdAt: f.now),
        ] {
            await #expect(throws: RegistryError.self, "\(taken.name)") { try await f.store.insertReceiver(taken) }
        }
        #expect(try await f.store.receivers().count == 3)
        // The issuer's removal takes its access tokens' right away.
        try await f.store.deleteIssuer(named: "idp")
        #expect(try await f.store.receiver(oauthClientID: "siem") == nil)
    }

    /// Streams are listed per receiver, oldest first; a replace changes configuration and sealed
    /// credential and keeps status and subjects, a status change keeps the configuration; a
    /// stream of a receiver that is gone, or with a taken id, is refused.
    @Test(arguments: StoreKind.allCases)
    func streamsAreKeptPerReceiverAndReplacedInPlace(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await f.store.insertReceiver(StoredReceiver(name: "vpn", tokenHash: "bb22", createdAt: f.now))
        var first = f.stream("b-first", receiver: "siem")
        first.authorization = [1, 2, 3]
        try await f.store.insertStream(first)
        var second = f.stream("a-second", receiver: "siem")
        second.createdAt = f.now + .seconds(1)
        second.updatedAt = second.createdAt
        try await f.store.insertStream(second)
        try await f.store.insertStream(f.stream("c-other", receiver: "vpn"))
        await #expect(throws: RegistryError.self) {
            try await f.store.insertStream(f.stream("b-first", receiver: "vpn"))
        }
        await #expect(throws: RegistryError.notFound("no SSF receiver named gone")) {
            try await f.store.insertStream(f.stream("d", receiver: "gone"))
        }

        #expect(try await f.store.streams(receiver: "siem") == [first, second])
        #expect(try await f.store.streams(receiver: "vpn").map(\.id) == ["c-other"])
        #expect(try await f.store.streams(receiver: nil).map(\.id) == ["b-first", "c-other", "a-second"])
        #expect(try await f.store.stream(id: "b-first") == first)

        #expect(try await f.store.removeStreamSubject(streamID: "b-first", subject: "one", now: f.now))
        try await f.store.setStreamStatus(id: "b-first", .paused, reason: "maintenance", now: f.now + .seconds(2))
        var changed = first
        changed.configuration = #"{"events_requested":[]}"#
        changed.authorization = nil
        changed.status = .enabled
        changed.updatedAt = f.now + .seconds(5)
        try await f.store.replaceStream(changed)
        var expected = changed
        expected.status = .paused
        expected.statusReason = "maintenance"
        #expect(try await f.store.stream(id: "b-first") == expected, "a replace changed the status")
        try await f.store.setStreamStatus(id: "b-first", .disabled, reason: nil, now: f.now + .seconds(9))
        expected.status = .disabled
        expected.statusReason = nil
        expected.updatedAt = f.now + .seconds(9)
        #expect(try await f.store.stream(id: "b-first") == expected, "a status change touched the configuration")
        await #expect(throws: RegistryError.notFound("no stream with id nope")) {
            try await f.store.setStreamStatus(id: "nope", .paused, reason: nil, now: f.now)
        }
        #expect(
            try await f.store.removedStreamSubjects(streamID: "b-first") == ["one"],
            "a replace dropped the subjects"
        )
        var missing = changed
        missing.id = "nope"
        await #expect(throws: RegistryError.notFound("no stream with id nope")) {
            try await f.store.replaceStream(missing)
        }

        try await f.store.deleteStream(id: "b-first")
        #expect(try await f.store.stream(id: "b-first") == nil)
        #expect(try await f.store.removedStreamSubjects(streamID: "b-first").isEmpty)
        await #expect(throws: RegistryError.notFound("no stream with id b-first")) {
            try await f.store.deleteStream(id: "b-first")
        }
    }

    /// A stream's removed subjects are a set, in the order they were removed, taken back one by
    /// one; removing from a stream that is gone is refused.
    @Test(arguments: StoreKind.allCases)
    func removedSubjectsAreASetPerStreamInTheOrderRemoved(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await f.store.insertStream(f.stream("s1", receiver: "siem"))
        try await f.store.insertStream(f.stream("s2", receiver: "siem"))
        for subject in ["zeta", "alpha", "mid"] {
            #expect(try await f.store.removeStreamSubject(streamID: "s1", subject: subject, now: f.now))
        }
        #expect(try await !f.store.removeStreamSubject(streamID: "s1", subject: "alpha", now: f.now))
        #expect(try await f.store.removeStreamSubject(streamID: "s2", subject: "alpha", now: f.now))
        #expect(try await f.store.removedStreamSubjects(streamID: "s1") == ["zeta", "alpha", "mid"])
        #expect(try await f.store.restoreStreamSubject(streamID: "s1", subject: "alpha"))
        #expect(try await !f.store.restoreStreamSubject(streamID: "s1", subject: "alpha"))
        #expect(try await f.store.removedStreamSubjects(streamID: "s1") == ["zeta", "mid"])
        #expect(
            try await f.store.removedStreamSubjects(streamID: "s2") == ["alpha"],
            "a subject came back to another stream"
        )
        await #expect(throws: RegistryError.notFound("no stream with id gone")) {
            try await f.store.removeStreamSubject(streamID: "gone", subject: "x", now: f.now)
        }
    }
}

extension StoreFixture {
    func stream(_ id: String, receiver: String) -> StoredStream {
        StoredStream(
            id: id,
            receiver: receiver,
            configuration: #"{"delivery":{"method":"urn:ietf:rfc:8936"}}"#,
            createdAt: now,
            updatedAt: now
        )
    }
}
