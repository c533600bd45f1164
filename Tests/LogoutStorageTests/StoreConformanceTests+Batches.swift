import Foundation
import LogoutCore
import TestSupport
import Testing

/// Writes of many rows at once, on both stores: a logout fanned out to 70 RPs that follow every
/// subject, and one write of all their outcomes (as a dispatcher stores a pass of them).
@Suite struct StoreConformanceBatchTests {
    /// A logout to 70 RPs, three of them disabled, queues every delivery with its own state; one
    /// write of all their outcomes stores every attempt with its delivery.
    @Test(arguments: StoreKind.allCases)
    func aLogoutToSeventyRPsQueuesEachAndOneWriteStoresEveryOutcome(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let ids = (0..<70).map { String(format: "rp%02d", $0) }
        let disabled: Set = ["rp05", "rp33", "rp69"]
        for id in ids {
            var rp = f.rp(id, subjects: .all, issuers: ["idp"])
            rp.relyingParty.enabled = !disabled.contains(id)
            try await f.store.insertRelyingParty(rp)
        }
        let recorded = try await f.store.recordLogout(f.logout(), now: f.now)
        guard case .accepted(let eventID, 70, let skipped, _) = recorded else {
            Issue.record("not accepted with 70 deliveries: \(recorded)")
            return
        }
        #expect(Set(skipped) == disabled)
        let queued = try await f.store.deliveries(DeliveryQuery(eventID: eventID, limit: 1000))
        #expect(queued.map(\.clientID).sorted() == ids)
        for delivery in queued {
            if disabled.contains(delivery.clientID) {
                #expect(delivery.status == .skipped && delivery.nextAttemptAt == nil && delivery.reason != nil)
            } else {
                #expect(delivery.status == .pending && delivery.nextAttemptAt == f.now && delivery.reason == nil)
            }
            #expect(delivery.sub == "u" && delivery.createdAt == f.now)
        }
        let claimed = try await f.store.claimDue(f.claim(limit: 1000), now: f.now)
        #expect(claimed.count == 67)
        var generator = SystemRandomNumberGenerator()
        let delivered = DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: 200)),
            attemptsBefore: 0,
            createdAt: f.now,
            finishedAt: f.now + .seconds(1),
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
        try await f.store.recordAttempts(
            claimed.map { delivery in
                AttemptReport(
                    deliveryID: delivery.id,
                    clientID: delivery.clientID,
                    eventID: delivery.eventID,
                    attempt: AttemptRecord(
                        deliveryID: delivery.id,
                        attempt: 1,
                        startedAt: f.now,
                        duration: .milliseconds(delivery.id % 50),
                        statusCode: 200,
                        errorClass: nil,
                        jti: "jti-\(delivery.id)",
                        rpError: delivery.id % 2 == 0 ? nil : "said \(delivery.id)",
                        nextAttemptAt: nil,
                        remoteAddress: "127.0.0.1"
                    ),
                    transition: delivered
                )
            }
        )
        for delivery in claimed {
            let (record, attempts) = try #require(try await f.store.delivery(id: delivery.id))
            #expect(record.status == .delivered && record.attempts == 1)
            #expect(attempts.map(\.jti) == ["jti-\(delivery.id)"])
            #expect(attempts.first?.duration == .milliseconds(delivery.id % 50))
            #expect(attempts.first?.rpError == (delivery.id % 2 == 0 ? nil : "said \(delivery.id)"))
        }
    }

    /// An outcome is stored field for field, on the delivery and in its attempt, free text cut
    /// to 1,024 characters: every column of both statements, each with a value of its own, so
    /// that two arguments given in each other's place fail here.
    @Test(arguments: StoreKind.allCases)
    func anOutcomeIsStoredFieldForField(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let delivery = try await f.claimedDelivery()
        var transition = f.unavailable(attemptsBefore: 6, finishedAt: f.now + .seconds(2))
        let long = String(repeating: "é", count: 1_500)
        transition.lastError = long
        transition.reason = "r-" + long
        transition.deliveredAt = f.now + .seconds(3)
        let attempt = AttemptRecord(
            deliveryID: delivery.id,
            attempt: 7,
            startedAt: f.now + .seconds(1),
            duration: .milliseconds(1_234),
            statusCode: 503,
            errorClass: .http5xx,
            jti: "the-jti",
            rpError: "rp-" + long,
            nextAttemptAt: f.now + .seconds(90),
            remoteAddress: "192.0.2.9",
            traceID: "4bf92f3577b34da6a3ce929d0e0e4736"
        )
        try await f.store.recordAttempts([
            AttemptReport(deliveryID: delivery.id, clientID: "a", attempt: attempt, transition: transition)
        ])
        let (record, attempts) = try #require(try await f.store.delivery(id: delivery.id))
        #expect(record.status == .retrying && record.attempts == 7 && record.lastStatusCode == 503)
        #expect(record.nextAttemptAt == transition.nextAttemptAt && record.nextAttemptAt != nil)
        #expect(record.deliveredAt == f.now + .seconds(3))
        #expect(record.lastError == String(long.prefix(1_024)))
        #expect(record.reason == String(("r-" + long).prefix(1_024)))
        let stored = try #require(attempts.first)
        #expect(attempts.count == 1 && stored.deliveryID == delivery.id && stored.attempt == 7)
        #expect(stored.startedAt == f.now + .seconds(1) && stored.duration == .milliseconds(1_234))
        #expect(stored.statusCode == 503 && stored.errorClass == .http5xx && stored.jti == "the-jti")
        #expect(stored.rpError == String(("rp-" + long).prefix(1_024)))
        #expect(stored.nextAttemptAt == f.now + .seconds(90) && stored.remoteAddress == "192.0.2.9")
        #expect(stored.traceID == "4bf92f3577b34da6a3ce929d0e0e4736")
    }
}
