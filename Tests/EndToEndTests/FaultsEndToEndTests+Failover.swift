import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

extension FaultsEndToEndTests {
    /// Issue 25, a PostgreSQL failover: a primary with a synchronous standby (both throwaway
    /// clusters, streaming replication), two replicas whose `database.url` names both with
    /// `target_session_attrs=read-write`. Mid-burst the primary is killed (SIGKILL) and, 3 s
    /// later, the standby promoted; the replicas follow it without a restart, and every logout
    /// acknowledged, before the failover or after, is delivered.
    @Test func aFailoverToASynchronousStandbyLosesNoAcknowledgedLogout() async throws {
        let primary = try await TestPostgres.privateCluster()
        let standby = try await primary.standby()
        let ports = try [primary.url, standby.url].map { try #require(URLComponents(string: $0)?.port) }
        let url =
            "postgres://logoutd@127.0.0.1:\(ports[0]),127.0.0.1:\(ports[1])/postgres"
            + "?sslmode=disable&target_session_attrs=read-write"
        let rp = try await TestServer.start { _, _ in Behavior(delay: 0.05) }
        let delivery = ["timeout: \"2s\"", "lease: \"9s\""]
        let first = try DaemonProcess(delivery: delivery, database: url, busyTimeout: "2s")
        let folder = TemporaryDirectory()
        let second = try DaemonProcess(folder: folder, delivery: delivery, database: url, busyTimeout: "2s")
        defer {
            Task {
                for daemon in [first, second] { await daemon.stop() }
                await rp.stop()
                await primary.stop()
                await standby.stop()
            }
        }
        try await first.start()
        let scale = ScaleOutEndToEndTests()
        let burst = 80
        try await scale.register(first, rps: [("shop", rp)], subjects: burst)
        try Self.shareSecrets(of: first, with: folder)
        try await second.start()
        // `check-config` says which server is the primary and that commits wait for a standby.
        let checked = try await ChildProcess.run(
            DaemonProcess.binary,
            ["check-config", "--config", first.configPath],
            mergeErrors: true
        )
        #expect(
            checked.output.contains("primary 127.0.0.1:\(ports[0]), synchronous_standby_names '*', 1 in sync now"),
            "\(checked.output)"
        )

        // The burst, one logout at a time to each replica in turn; the primary dies after the
        // 25th, the standby is promoted 3 s later.
        let clock = ContinuousClock()
        var acknowledged: [Int] = []
        var refused = 0
        var killedAt: ContinuousClock.Instant?
        var promotedAt: ContinuousClock.Instant?
        var firstAfterPromotion: Duration?
        for index in 0..<burst {
            if index == 25 {
                try await primary.control("kill")
                killedAt = clock.now
            }
            if let killedAt, promotedAt == nil, clock.now - killedAt > .seconds(3) {
                try await standby.control("promote")
                promotedAt = clock.now
            }
            let replica = index % 2 == 0 ? first : second
            let answer = try await replica.postLogout(try scale.logout(index))
            if answer.status == .ok {
                acknowledged.append(index)
                if let promotedAt, firstAfterPromotion == nil { firstAfterPromotion = clock.now - promotedAt }
            } else {
                #expect(answer.status == .serviceUnavailable, "answered \(answer.status) during the failover")
                refused += 1
            }
        }
        #expect(promotedAt != nil, "the burst ended before the standby was promoted")
        #expect(acknowledged.filter { $0 >= 25 }.count >= 40, "the replicas did not follow the promoted standby")
        for daemon in [first, second] {
            #expect(daemon.log.contains("following the primary to another server"), "\(daemon.log.suffix(2000))")
        }

        let expected = Set(acknowledged.map { "s\($0)" })
        let delivered = await eventually(timeout: 90, interval: 0.25) {
            expected.isSubset(of: Set(ScaleOutEndToEndTests.claims(rp).map(\.sid)))
        }
        let missing = expected.subtracting(ScaleOutEndToEndTests.claims(rp).map(\.sid)).sorted()
        let diagnosis = delivered ? "" : await first.diagnosis()
        #expect(delivered, "acknowledged and not delivered: \(missing)\n\(diagnosis)")
        var received: [String: Int] = [:]
        for claim in ScaleOutEndToEndTests.claims(rp) { received[claim.sid, default: 0] += 1 }
        // Only an attempt whose outcome could not be stored when the primary died is made
        // again: at most the attempts in flight then, 8 per replica (per_rp_concurrency).
        let twice = received.values.filter { $0 > 1 }.count
        #expect(twice <= 16 && received.values.allSatisfy { $0 <= 2 }, "received more than once: \(twice)")
        print(
            "failover ledger: acknowledged \(acknowledged.count) (\(acknowledged.filter { $0 < 25 }.count) before the "
                + "primary died), refused \(refused) while there was no primary, delivered "
                + "\(expected.intersection(received.keys).count) of them, received twice \(twice), "
                + "first acknowledgement "
                + "\(firstAfterPromotion.map { "\($0)" } ?? "never") after the promotion"
        )
    }
}
