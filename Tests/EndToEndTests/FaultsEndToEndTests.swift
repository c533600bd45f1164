import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// Faults where replicas run (rulebook Q-6): the real binary, two replicas on one PostgreSQL
/// database, a fault injected while deliveries run, then the ledger. Opt-in:
/// `LOGOUTD_FAULTS=1` (scripts/faults).
@Suite(
    .serialized,
    .enabled(if: FaultTests.requested, "opt-in: LOGOUTD_FAULTS=1 (scripts/faults)"),
    .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL")
)
struct FaultsEndToEndTests {
    /// A second replica's folder gets `daemon`'s secrets key: replicas share it, as they share
    /// the sealed columns it opens.
    static func shareSecrets(of daemon: DaemonProcess, with folder: TemporaryDirectory) throws {
        try FileManager.default.createDirectory(atPath: folder.file("keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: daemon.folder.file("keys/secrets.key"),
            toPath: folder.file("keys/secrets.key")
        )
    }

    /// The secrets key shared with `folder`'s replica, then `count` logouts acknowledged by
    /// `daemon`.
    static func acknowledge(
        _ count: Int,
        at daemon: DaemonProcess,
        _ scale: ScaleOutEndToEndTests,
        secretsFor folder: TemporaryDirectory
    ) async throws {
        try shareSecrets(of: daemon, with: folder)
        for index in 0..<count {
            #expect(try await daemon.postLogout(try scale.logout(index)).status == .ok)
        }
    }

    /// A replica paused (SIGSTOP) longer than its leases mid fan-out to a slow RP: the other
    /// replica takes the leases over and delivers; the woken replica starts none of the
    /// deliveries it had claimed and not started (found from outside: it used to start one the
    /// other had delivered 40 s before), and only an attempt already in flight at the pause may
    /// reach the RP twice. Every acknowledged logout reaches the RP.
    @Test func aReplicaPausedPastItsLeasesStartsNothingItClaimed() async throws {
        let url = try await TestPostgres.freshDatabase()
        let rp = try await TestServer.start { _, _ in Behavior(delay: 1.2) }
        // One attempt at a time per replica, two leases at the RP for the whole cluster: the
        // replica holding them has one delivery in flight and one claimed, waiting for the slot.
        // The shortest lease the 2 s timeout allows (2 × 2 s + 5 s); the RP answers in 1.2 s, a
        // window wide enough to pause in on a loaded machine.
        let delivery = ["timeout: \"2s\"", "concurrency: 1", "per_rp_concurrency: 2", "lease: \"9s\""]
        let paused = try DaemonProcess(delivery: delivery, database: url)
        let folder = TemporaryDirectory()
        let other = try DaemonProcess(folder: folder, delivery: delivery, database: url)
        defer {
            paused.signal(SIGCONT)  // a failed check must not leave it stopped
            for daemon in [paused, other] { Task { await daemon.stop() } }
        }
        try await paused.start()
        let scale = ScaleOutEndToEndTests()
        let subjects = 5
        try await scale.register(paused, rps: [("slow", rp)], subjects: subjects)
        try await Self.acknowledge(subjects, at: paused, scale, secretsFor: folder)
        // The first replica is delivering, one attempt in flight and the next one claimed; then
        // it stops dead, longer than its leases, and a second replica comes up meanwhile.
        // Steady: every answer the RP gave is stored but the one in flight, and both leases are
        // the replica's (that attempt, and the next delivery claimed): no claim or outcome is
        // half written, whose transaction would hold the RP's row locked through the pause.
        let settled = await eventually(timeout: 20, interval: 0.02) {
            let received = rp.received.count
            guard received >= 2 else { return false }
            let counts = try? await TestPostgres.query(
                """
                SELECT (SELECT count(*) FROM deliveries WHERE status = 'delivered')::text,
                    (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'retrying')
                        AND lease_until > (extract(epoch FROM clock_timestamp()) * 1000)::bigint)::text
                """,
                on: url
            )
            return counts?.first == [String(received - 1), "2"] && rp.received.count == received
        }
        #expect(settled, "the replica never held an attempt and a claimed delivery at once")
        paused.signal(SIGSTOP)
        let pausedAt = rp.received.count
        try await other.start()
        // The second replica takes the leases over when they end (9 s) and delivers everything,
        // the paused replica's two deliveries included, before the first one wakes.
        let expected = Set((0..<subjects).map { "s\($0)" })
        let takenOver = await eventually(timeout: 60, interval: 0.25) {
            let states = try? await TestPostgres.query(
                "SELECT count(*)::text FROM deliveries WHERE status = 'delivered'",
                on: url
            )
            return expected.isSubset(of: Set(ScaleOutEndToEndTests.claims(rp).map(\.sid)))
                && states?.first?.first == String(subjects)
        }
        #expect(takenOver, "the second replica did not deliver the paused replica's work")
        // Nothing the paused replica logs before this point counts: it was stopped.
        let beforeWaking = paused.log.count
        paused.signal(SIGCONT)
        let woken: @Sendable () -> Substring = { paused.log.dropFirst(beforeWaking) }
        // Its late outcome and its claimed delivery are dealt with as soon as it runs again.
        #expect(
            await eventually(timeout: 20, interval: 0.1) {
                woken().contains("claimed deliveries not started: their leases ran out while they waited")
                    && woken().contains(
                        "delivery outcome dropped: the job is no longer under the lease it was attempted under"
                    )
            },
            "after waking: (RP got \(pausedAt) before the pause)\n\(woken().suffix(3000))"
        )
        var received: [String: Int] = [:]
        for claim in ScaleOutEndToEndTests.claims(rp) { received[claim.sid, default: 0] += 1 }
        let twice = received.filter { $0.value > 1 }
        // Exactly the attempt in flight at the pause reached the RP twice: the RP had it before
        // the pause, and the new owner sent it again. The claimed one was not started.
        #expect(twice.count == 1 && twice.values.allSatisfy { $0 == 2 }, "duplicates: \(twice)")
        let states = try await TestPostgres.query(
            "SELECT status, count(*)::text FROM deliveries GROUP BY status",
            on: url
        )
        #expect(states.map { $0.compactMap { $0 } } == [["delivered", String(subjects)]], "\(states)")
        print(
            "paused-replica ledger: acknowledged \(subjects), delivered \(received.count), "
                + "received twice \(twice.count), received before the pause \(pausedAt)"
        )
    }
}
