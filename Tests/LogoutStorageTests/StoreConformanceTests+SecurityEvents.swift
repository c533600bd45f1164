import Foundation
import LogoutCore
import Synchronization
import TestSupport
import Testing

/// The SETs of SSF streams (SSF-3, SSF-4, SSF §8.1.2), on every store: made once per logout
/// and stream from the event log, held and released with the stream's status, finished by
/// acknowledgements.
extension StoreConformanceTests {
    @Test(arguments: StoreKind.allCases)
    func fanOutMakesEachLogoutsSETsOnceAndMarksItDone(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await f.store.insertStream(f.stream("s1", receiver: "siem"))
        try await f.store.insertStream(f.stream("s2", receiver: "siem"))
        try await f.store.setStreamStatus(id: "s2", .paused, reason: nil, now: f.now)
        try await f.store.insertRelyingParty(f.rp("a"))
        _ = try await f.store.insertSession(f.session("a", sub: "marie", sid: "s-1"), now: f.now)
        // A rejection and a logout that ended nothing are read, marked, and owe no SET.
        _ = f.store.enqueueRejection(f.rejection(), now: f.now)
        try await f.store.flushRejections()
        _ = try await f.store.recordLogout(f.logout(sub: "nobody", jti: "j0", hash: "h0"), now: f.now)
        let recorded = try await f.store.recordLogout(f.logout(sub: "marie", sid: "s-1", jti: "j1"), now: f.now)
        guard case .accepted(let eventID, 1, _, _) = recorded else {
            Issue.record("the logout was not recorded with one delivery: \(recorded)")
            return
        }

        let seen = Mutex<[FannedOutLogout]>([])
        let read = try await f.store.fanOutSecurityEvents(limit: 100, now: f.now) { logouts, streams in
            seen.withLock { $0 = logouts }
            #expect(streams.map(\.0.id) == ["s1", "s2"])
            #expect(streams.map(\.0.status) == [.enabled, .paused])
            return streams.map { stream, _ in
                NewSecurityEvent(
                    streamID: stream.id,
                    eventID: logouts[0].eventID,
                    jti: "jti-" + stream.id,
                    claims: #"{"txn":"x"}"#,
                    held: stream.status == .paused
                )
            }
        }
        #expect(read == 3)
        let logouts = seen.withLock { $0 }
        #expect(logouts.map(\.eventID) == [eventID])
        #expect(logouts.first?.iss == "https://idp" && logouts.first?.sub == "marie" && logouts.first?.sid == "s-1")
        #expect(logouts.first?.source == "idp")

        let again = try await f.store.fanOutSecurityEvents(limit: 100, now: f.now) { _, _ in
            Issue.record("a logout was fanned out twice")
            return []
        }
        #expect(again == 0)

        let pending = try await f.store.pendingSecurityEvents(streamID: "s1", limit: 10)
        #expect(pending.map(\.jti) == ["jti-s1"])
        #expect(pending.first?.eventID == eventID && pending.first?.claims == #"{"txn":"x"}"#)
        #expect(try await f.store.pendingSecurityEvents(streamID: "s2", limit: 10).isEmpty, "a paused stream's SET")
        #expect(try await f.store.securityEvents(streamID: "s2", limit: 10).map(\.status) == [.held])

        // Enabling releases, pausing holds again, disabling drops.
        try await f.store.setStreamStatus(id: "s2", .enabled, reason: nil, now: f.now)
        #expect(try await f.store.pendingSecurityEvents(streamID: "s2", limit: 10).map(\.jti) == ["jti-s2"])
        try await f.store.setStreamStatus(id: "s2", .paused, reason: nil, now: f.now)
        #expect(try await f.store.pendingSecurityEvents(streamID: "s2", limit: 10).isEmpty)
        try await f.store.setStreamStatus(id: "s2", .disabled, reason: nil, now: f.now)
        let dropped = try await f.store.securityEvents(streamID: "s2", limit: 10)
        #expect(dropped.map(\.status) == [.failed])
        #expect(dropped.first?.error == "the stream was disabled")
        try await f.store.setStreamStatus(id: "s2", .enabled, reason: nil, now: f.now)
        #expect(try await f.store.pendingSecurityEvents(streamID: "s2", limit: 10).isEmpty, "a dropped SET came back")
    }

    /// Acknowledgements finish only the stream's pending SETs; refusals keep their reason.
    @Test(arguments: StoreKind.allCases)
    func acknowledgementsFinishOnlyTheStreamsPendingSETs(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await f.store.insertStream(f.stream("s1", receiver: "siem"))
        try await f.store.insertStream(f.stream("s2", receiver: "siem"))
        for (stream, jti) in [("s1", "a"), ("s1", "b"), ("s1", "c"), ("s2", "d")] {
            try await f.store.insertSecurityEvent(
                NewSecurityEvent(streamID: stream, eventID: nil, jti: jti, claims: "{}", held: false),
                now: f.now
            )
        }
        #expect(try await f.store.pendingSecurityEvents(streamID: "s1", limit: 2).map(\.jti) == ["a", "b"])
        let changed = try await f.store.finishSecurityEvents(
            streamID: "s1",
            delivered: ["a", "d", "unknown"],
            failed: ["c": "invalid_key: rotated"],
            now: f.now + .seconds(1)
        )
        #expect(changed == 2, "another stream's SET or an unknown jti changed")
        #expect(try await f.store.pendingSecurityEvents(streamID: "s1", limit: 10).map(\.jti) == ["b"])
        #expect(try await f.store.pendingSecurityEvents(streamID: "s2", limit: 10).map(\.jti) == ["d"])
        let log = try await f.store.securityEvents(streamID: "s1", limit: 10)
        #expect(log.map(\.jti) == ["c", "b", "a"])
        #expect(log.map(\.status) == [.failed, .pending, .delivered])
        #expect(log.first?.error == "invalid_key: rotated")
        #expect(
            try await f.store.finishSecurityEvents(streamID: "s1", delivered: ["a"], failed: [:], now: f.now) == 0,
            "a delivered SET was finished again"
        )
        try await f.store.deleteStream(id: "s1")
        #expect(try await f.store.securityEvents(streamID: "s1", limit: 10).isEmpty, "a deleted stream kept its SETs")
    }
}
