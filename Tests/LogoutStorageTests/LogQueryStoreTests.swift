import Foundation
import LogoutCore
import TestSupport
import Testing

/// What the delivery log page asks every store: events by issuer and subject, and the last
/// hour's activity by minute (ADM-1, ADM-2).
@Suite struct LogQueryStoreTests {
    @Test(arguments: StoreKind.allCases)
    func eventsFilterByIssuerAndSubject(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        _ = try await f.store.recordLogout(f.logout(sub: "alice", jti: "1", hash: "1"), now: f.now)
        _ = try await f.store.recordLogout(f.logout(sub: "bob", jti: "2", hash: "2"), now: f.now)
        #expect(try await f.store.events(EventQuery(sub: "alice")).map(\.sub) == ["alice"])
        #expect(try await f.store.events(EventQuery(issuer: "idp")).count == 2)
        #expect(try await f.store.events(EventQuery(issuer: "https://idp")).count == 2, "by iss as well as by name")
        #expect(try await f.store.events(EventQuery(issuer: "other")).isEmpty)
    }

    @Test(arguments: StoreKind.allCases)
    func activityCountsEndingsAndRetriesPerMinute(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        for rp in ["ok", "down", "off"] { try await f.store.insertRelyingParty(f.rp(rp)) }
        for rp in ["ok", "down", "off"] { _ = try await f.store.insertSession(f.session(rp), now: f.now) }
        _ = try await f.store.recordLogout(f.logout(), now: f.now)
        var generator = SystemRandomNumberGenerator()
        let claimed = try await f.store.claimDue(f.claim(), now: f.now)
        try await f.store.releaseLeases(ids: claimed.filter { $0.clientID == "off" }.map(\.id), now: f.now)
        for delivery in claimed where delivery.clientID != "off" {
            let status = delivery.clientID == "ok" ? 200 : 503
            let transition = DeliveryTransition.afterAttempt(
                .response(HTTPAnswer(status: status)),
                attemptsBefore: 0,
                createdAt: f.now,
                finishedAt: f.now + .seconds(61),
                policy: RetryPolicy(jitter: 0),
                using: &generator
            )
            let attempt = AttemptRecord(
                deliveryID: delivery.id,
                attempt: 1,
                startedAt: f.now + .seconds(61),
                duration: .milliseconds(5),
                statusCode: status,
                errorClass: status == 200 ? nil : .http5xx,
                jti: "j\(delivery.id)",
                rpError: nil,
                nextAttemptAt: transition.nextAttemptAt
            )
            try await f.store.recordAttempt(
                AttemptReport(deliveryID: delivery.id, attempt: attempt, transition: transition)
            )
        }
        _ = try await f.store.skipWaitingDeliveries(clientID: "off", reason: "disabled", now: f.now + .seconds(130))
        let counts = try await f.store.deliveryActivity(start: f.now, minutes: 60)
        let activity = DeliveryActivity.assemble(start: f.now, minutes: 60, counts: counts)
        #expect(activity.minutes[1].delivered == 1 && activity.minutes[1].retried == 1)
        #expect(activity.minutes[2].skipped == 1)
        #expect(activity.minutes.map(\.total).reduce(0, +) == 3)
        // A redelivery starts over: the ended delivery leaves the chart until it ends again.
        let skipped = try #require(try await f.store.deliveries(DeliveryQuery(status: .skipped)).first)
        #expect(try await f.store.retryDelivery(id: skipped.id, now: f.now + .seconds(200)) == .queued)
        let after = try await f.store.deliveryActivity(start: f.now, minutes: 60)
        #expect(!after.contains { $0.series == .skipped })
    }
}
