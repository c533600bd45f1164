import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// A plan's rows are written several to a statement: every row lands as planned, whatever the
/// plan's size against the statement's limit.
@Suite struct DeliveryRowsTests {
    /// Every fourth delivery skipped, with sub and sid sometimes absent: the values that vary
    /// per row must not shift into a neighbour's columns.
    static func plan(_ count: Int) -> [PlannedDelivery] {
        (0..<count).map { i in
            PlannedDelivery(
                clientID: "rp\(i)",
                sub: i % 3 == 0 ? nil : "u\(i)",
                sid: i % 2 == 0 ? "s\(i)" : nil,
                skipReason: i % 4 == 3 ? "skip \(i)" : nil
            )
        }
    }

    @Test(arguments: [
        1, 2, DeliveryRows.maximumPerStatement - 1, DeliveryRows.maximumPerStatement,
        DeliveryRows.maximumPerStatement + 1, 2 * DeliveryRows.maximumPerStatement + 5,
    ])
    func everyRowLandsAsPlanned(_ count: Int) async throws {
        let f = try await StoreFixture.make(.sqlite)
        let store = f.store as! LogoutDatabase
        let planned = Self.plan(count)
        let rows = try store.pool.write { db in
            try db.execute(
                sql: """
                    INSERT INTO events (id, received_at, source, outcome, deliveries)
                    VALUES (7, 1, 'test', 'accepted', ?)
                    """,
                arguments: [count]
            )
            try DeliveryRows.insert(planned, eventID: 7, nowMs: 1_000, traceContext: "00-trace", db)
            return try Row.fetchAll(
                db,
                sql: """
                    SELECT event_id, client_id, sub, sid, status, created_at, next_attempt_at, reason, finished_at,
                        trace_context, attempts
                    FROM deliveries ORDER BY id
                    """
            )
        }
        #expect(rows.count == count)
        for (row, delivery) in zip(rows, planned) {
            let skipped = delivery.skipReason != nil
            #expect(row[0] as Int64 == 7)
            #expect(row[1] as String == delivery.clientID)
            #expect(row[2] as String? == delivery.sub)
            #expect(row[3] as String? == delivery.sid)
            #expect(row[4] as String == (skipped ? "skipped" : "pending"))
            #expect(row[5] as Int64 == 1_000)
            #expect(row[6] as Int64? == (skipped ? nil : 1_000))
            #expect(row[7] as String? == delivery.skipReason)
            #expect(row[8] as Int64? == (skipped ? 1_000 : nil))
            #expect(row[9] as String? == "00-trace")
            #expect(row[10] as Int64 == 0)
        }
    }
}
