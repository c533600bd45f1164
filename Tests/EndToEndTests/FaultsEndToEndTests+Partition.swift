import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

extension FaultsEndToEndTests {
    /// Issue 25, a partition: one replica in a network namespace of the test's, cut off from
    /// PostgreSQL by a DROP rule inside it (no reset: silence, as when a switch fails) while
    /// the test and the RP still reach it. It must refuse what it cannot commit (`503` +
    /// `Retry-After`, within `database.busy_timeout`), turn `/readyz` 503, and leave its
    /// leases to expire; the other replica delivers them; healed, it resumes without a restart.
    @Test func aReplicaCutOffFromPostgresRefusesWhatItCannotCommitAndResumes() async throws {
        try #require(NetworkNamespace.isAvailable, "needs root, iproute2 and iptables (.ci/run installs them)")
        let link = try await NetworkNamespace.create()
        let cluster = try await TestPostgres.privateCluster(alsoOn: link)
        // The RP answers in 1 s, on the host's end of the link: both replicas reach it.
        let rp = try await TestServer.start(host: link.hostAddress) { _, _ in Behavior(delay: 1.0) }
        let port = try #require(URLComponents(string: cluster.url)?.port)
        let throughLink = cluster.url.replacingOccurrences(of: "@127.0.0.1:", with: "@\(link.hostAddress):")
        // Two attempts at a time per replica, four leases at the RP for the cluster: the cut
        // replica holds two attempts in flight and two deliveries claimed when the link fails.
        let delivery = ["timeout: \"2s\"", "concurrency: 2", "per_rp_concurrency: 4", "lease: \"9s\""]
        let cutOff = try DaemonProcess(
            delivery: delivery,
            database: throughLink,
            busyTimeout: "2s",
            namespace: link
        )
        let folder = TemporaryDirectory()
        let other = try DaemonProcess(folder: folder, delivery: delivery, database: cluster.url, busyTimeout: "2s")
        defer {
            Task {
                for daemon in [cutOff, other] { await daemon.stop() }
                await rp.stop()
                await cluster.stop()
                await link.remove()
            }
        }
        try await cutOff.start()
        let scale = ScaleOutEndToEndTests()
        let subjects = 8
        // One more subject for the logout refused while cut off, one for the one after healing.
        try await scale.register(cutOff, rps: [("slow", rp)], subjects: subjects + 2)
        try await Self.acknowledge(subjects, at: cutOff, scale, secretsFor: folder)
        let holding = await eventually(timeout: 20, interval: 0.02) {
            let leased = try? await TestPostgres.query(
                """
                SELECT count(*)::text FROM deliveries WHERE status IN ('pending', 'retrying')
                    AND lease_until > (extract(epoch FROM clock_timestamp()) * 1000)::bigint
                """,
                on: cluster.url
            )
            return leased?.first?.first == "4" && rp.received.count >= 2
        }
        #expect(holding, "the replica never held the RP's four leases")
        try await link.cut(port: port)
        let cutAt = ContinuousClock.now
        let before = rp.received.count

        // What its clients see: no acknowledgement it could not commit, and fast.
        let clock = ContinuousClock()
        let started = clock.now
        let refused = try await cutOff.postLogout(try scale.logout(subjects))
        let waited = clock.now - started
        #expect(refused.status == .serviceUnavailable, "answered \(refused.status) while cut off: \(refused.body)")
        #expect(refused.headers["Retry-After"].first.flatMap(Int.init) ?? 0 >= 1)
        #expect(waited < .seconds(4), "answered after \(waited): busy_timeout is 2 s")
        let unready = await eventually(timeout: 15, interval: 0.25) {
            (try? await cutOff.get(cutOff.publicURL + "/readyz").status) == .serviceUnavailable
        }
        #expect(unready, "/readyz stayed ready while cut off")

        // The other replica takes its leases over once they end and delivers everything.
        try await other.start()
        let expected = Set((0..<subjects).map { "s\($0)" })
        let takenOver = await eventually(timeout: 60, interval: 0.25) {
            expected.isSubset(of: Set(ScaleOutEndToEndTests.claims(rp).map(\.sid)))
        }
        let diagnosis = takenOver ? "" : await other.diagnosis()
        #expect(takenOver, "the other replica did not deliver the cut replica's work\n\(diagnosis)")
        let cutFor = ContinuousClock.now - cutAt

        // Healed: the same process answers again, and what it acknowledges is delivered.
        try await link.heal(port: port)
        let healedAt = clock.now
        let resumed = await eventually(timeout: 60, interval: 0.1) {
            (try? await cutOff.get(cutOff.publicURL + "/readyz").status) == .ok
        }
        let recovery = clock.now - healedAt
        #expect(resumed, "still not ready after healing:\n\(cutOff.log.suffix(3000))")
        #expect(try await cutOff.postLogout(try scale.logout(subjects + 1)).status == .ok)
        let all = expected.union(["s\(subjects + 1)"])
        let delivered = await eventually(timeout: 60, interval: 0.25) {
            let states = try? await TestPostgres.query(
                "SELECT count(*)::text FROM deliveries WHERE status <> 'delivered'",
                on: cluster.url
            )
            return all.isSubset(of: Set(ScaleOutEndToEndTests.claims(rp).map(\.sid))) && states?.first?.first == "0"
        }
        let stillOpen = delivered ? "" : await cutOff.diagnosis()
        #expect(delivered, "not everything delivered after healing\n\(stillOpen)")
        #expect(cutOff.process.isRunning, "the cut replica exited instead of waiting for its database")

        // The ledger. Only what the cut replica attempted without being able to store the
        // outcome may reach the RP twice: at most the four deliveries it held at the cut.
        var received: [String: Int] = [:]
        for claim in ScaleOutEndToEndTests.claims(rp) { received[claim.sid, default: 0] += 1 }
        let twice = received.filter { $0.value > 1 }
        #expect(twice.count <= 4 && twice.values.allSatisfy { $0 == 2 }, "duplicates: \(twice)")
        // The refused logout may still have committed once the link came back (the notifier,
        // told 503, sends it again: a duplicate IN-12 recognises); nothing else is extra.
        let states = try await TestPostgres.query(
            "SELECT status, count(*)::text FROM deliveries GROUP BY status",
            on: cluster.url
        )
        let rows = states.map { $0.compactMap { $0 } }
        #expect(
            rows == [["delivered", String(subjects + 1)]] || rows == [["delivered", String(subjects + 2)]],
            "\(rows)"
        )
        print(
            "partition ledger: acknowledged \(subjects + 1) (\(subjects) before the cut, 1 after healing), "
                + "refused while cut 1 in \(waited), delivered \(received.count), received twice \(twice.count) "
                + "(RP had \(before) before the cut), cut for \(cutFor), ready again \(recovery) after healing"
        )
    }
}
