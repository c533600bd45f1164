import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT
import LogoutStorage
import ServiceLifecycle
import Synchronization
import TestSupport
import Testing

@testable import LogoutService

/// an RP that is down costs a bounded number of requests, and recovers by itself.
@Suite(.serialized) struct BreakerTests {
    @Test(arguments: StoreKind.allCases)
    func anRPThatIsDownGetsBoundedAttemptsAndRecoversByItself(kind: StoreKind) async throws {
        let down = Atomic<Bool>(true)
        let rp = try await TestServer.start { _, _ in down.load(ordering: .relaxed) ? Behavior(status: 503) : .ok }
        try await Harness.with(
            kind,
            configure: {
                $0.breakerThreshold = 3
                $0.breakerPause = .milliseconds(300)
                $0.breakerMaxPause = .milliseconds(600)
                $0.backoffInitial = .milliseconds(50)
                $0.backoffMax = .milliseconds(100)
                $0.maxAttempts = 1000
            }
        ) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            for index in 0..<30 { try await harness.addSession(sub: "u\(index)", sid: nil, rp: "rp") }
            try await DeliveryTests.withDispatcher(harness) {
                for index in 0..<30 { try await DeliveryTests.logout(harness, sub: "u\(index)", sid: nil) }
                // Without a breaker: 30 deliveries retried every 50-100 ms, hundreds of requests a
                // second, and no probe ever. With it: the opening failures (at most the RP's
                // slots), then one probe at a time, 300-600 ms apart. Counted once three probes
                // have failed, however long that took.
                #expect(
                    await eventually(timeout: 30) {
                        (try? await harness.database.relyingParty(clientID: "rp"))?.breaker.failedProbes ?? 0 >= 3
                    }
                )
                let stored = try #require(try await harness.database.relyingParty(clientID: "rp"))
                let whileDown = rp.received.count
                // The threshold's failures, those in flight when it opened, the failed probes and
                // the one that may be out now.
                let bound = 8 + 8 + stored.breaker.failedProbes + 1
                #expect(whileDown <= bound, "\(whileDown) requests while down, \(stored.breaker.failedProbes) probes")
                #expect(stored.breaker.state != .closed && stored.breaker.lastError?.contains("503") == true)
                down.store(false, ordering: .relaxed)
                #expect(
                    await eventually(timeout: 30) {
                        (try? await harness.deliveries().allSatisfy { $0.status == .delivered }) == true
                    }
                )
                #expect(try await harness.database.relyingParty(clientID: "rp")?.breaker.state == .closed)
            }
        }
        await rp.stop()
    }
}

/// Disabling an RP records its waiting deliveries as skipped, with the reason; recovering them
/// after it is enabled again resends them.
@Suite struct DisabledRPTests {
    @Test(arguments: StoreKind.allCases)
    func disableSkipsWithTheReasonAndRecoverResends(kind: StoreKind) async throws {
        let rp = try await TestServer.start()
        try await Harness.with(kind) { harness in
            try await harness.registerIssuers(idpKeys: [DeliveryTests.idpKey])
            try await harness.registerRP("rp", uri: rp.url + "/bcl")
            try await harness.addSession(sub: "u", sid: nil, rp: "rp")
            try await DeliveryTests.logout(harness, sub: "u", sid: nil)  // waiting: no dispatcher runs
            var change = RelyingPartyRegistration()
            change.enabled = .value(false)
            _ = try await harness.admin.updateRelyingParty(clientID: "rp", change)
            let skipped = try #require(try await harness.deliveries().first)
            #expect(skipped.status == .skipped && skipped.reason == "the RP is disabled")
            change.enabled = .value(true)
            _ = try await harness.admin.updateRelyingParty(clientID: "rp", change)
            let queued = try await harness.admin.recoverDeliveries(RecoveryRequest(clientID: "rp"))
            #expect(queued.queued == 1)
            try await DeliveryTests.withDispatcher(harness) {
                #expect(await eventually { rp.received.count == 1 })
            }
        }
        await rp.stop()
    }
}
