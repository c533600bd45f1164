import Foundation
import LogoutCore
import TestSupport
import Testing

extension StoreConformanceTests {
    /// The rows a store makes for a logout are the planner's, field for field and in its order:
    /// SQLite makes them from the plan it keeps with the event, PostgreSQL from the plan's JSON
    /// inside one statement. Ids that pass through JSON hold what JSON must escape, and every
    /// kind of skipped delivery keeps its reason.
    @Test(arguments: StoreKind.allCases)
    func aLogoutsRowsAreItsPlanFieldForField(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let sub = "u \"quoted\" \\ back\u{1}slash\ttab é 😀 </script>"
        try await f.store.insertRelyingParty(f.rp("a"))
        var required = f.rp("b")
        required.relyingParty.sessionRequired = true
        try await f.store.insertRelyingParty(required)
        var disabled = f.rp("c")
        disabled.relyingParty.enabled = false
        try await f.store.insertRelyingParty(disabled)
        try await f.store.insertRelyingParty(f.rp("f", subjects: .all, issuers: ["idp"]))
        try await f.store.insertRelyingParty(f.rp("g", subjects: .all, issuers: ["another"]))
        _ = try await f.store.insertSession(f.session("a", sub: sub, sid: "s \"1\" \\"), now: f.now)
        _ = try await f.store.insertSession(f.session("b", sub: sub), now: f.now)
        _ = try await f.store.insertSession(f.session("c", sub: sub), now: f.now)

        let recorded = try await f.store.recordLogout(f.logout(sub: sub), now: f.now)
        guard case .accepted(let eventID, 4, _, _) = recorded else {
            Issue.record("not accepted with four deliveries: \(recorded)")
            return
        }
        let rows = try await f.store.deliveries(DeliveryQuery(eventID: eventID)).sorted { $0.id < $1.id }
        let expected: [(String, String?, String?, DeliveryStatus, String?)] = [
            ("a", "rp-" + sub, "rp-s \"1\" \\", .pending, nil),
            ("b", "rp-" + sub, nil, .skipped, "the RP requires sid and the session has none"),
            ("c", "rp-" + sub, nil, .skipped, "the RP is disabled"),
            ("f", sub, nil, .pending, nil),
        ]
        #expect(rows.count == expected.count)
        for (row, want) in zip(rows, expected) {
            #expect(row.eventID == eventID)
            #expect(row.clientID == want.0 && row.sub == want.1 && row.sid == want.2, "\(row)")
            #expect(row.status == want.3 && row.reason == want.4, "\(row)")
            #expect(row.createdAt == f.now && row.attempts == 0 && row.deliveredAt == nil)
            #expect(row.nextAttemptAt == (want.3 == .pending ? f.now : nil), "\(row)")
        }
        let event = try #require(try await f.store.events(EventQuery()).first)
        #expect(event.id == eventID && event.outcome == .accepted && event.deliveries == 4)
        #expect(try await f.store.sessions(SessionQuery()).isEmpty, "every session ended")
        // The replay record names the event: the same token again is its duplicate.
        #expect(try await f.store.recordLogout(f.logout(sub: sub), now: f.now) == .duplicate(originalEventID: eventID))
    }
}
