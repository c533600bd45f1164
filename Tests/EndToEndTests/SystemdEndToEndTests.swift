import Dispatch
import Foundation
import GRDB
import LogoutCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// `Type=notify` with a fake systemd (a datagram socket the test binds): ready only once both
/// listeners accept, watchdog pings tied to the dispatcher's progress, `STOPPING=1` on SIGTERM.
@Suite(.serialized) struct SystemdEndToEndTests {
    /// SIGHUP's default action would end the daemon, and systemd takes that for a clean exit
    /// that `Restart=on-failure` leaves alone: it is trapped, said to change nothing, and the
    /// daemon goes on answering.
    @Test func aHangupChangesNothingAndTheDaemonGoesOn() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        daemon.signal(SIGHUP)
        #expect(await eventually { daemon.log.contains("SIGHUP changes nothing") }, "\(daemon.log)")
        #expect(try await daemon.get("http://127.0.0.1:\(daemon.publicPort)/healthz").status == .ok)
        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
    }

    @Test func readyWatchdogAndStoppingFollowTheDaemon() async throws {
        let folder = TemporaryDirectory()
        let daemon = try DaemonProcess(folder: folder)
        let bothBoundAtReady = Mutex<Bool?>(nil)
        let (publicPort, adminPort) = (daemon.publicPort, daemon.adminPort)
        let systemd = try NotifySocket(address: folder.file("notify.sock")) { message in
            guard message.split(separator: "\n").contains("READY=1") else { return }
            let bound = acceptsConnections(port: publicPort) && acceptsConnections(port: adminPort)
            bothBoundAtReady.withLock { $0 = bound }
        }
        defer { systemd.stop() }
        daemon.environment = ["NOTIFY_SOCKET": systemd.address, "WATCHDOG_USEC": "1000000"]
        try await daemon.start()
        #expect(await eventually { bothBoundAtReady.withLock { $0 } != nil })
        #expect(bothBoundAtReady.withLock { $0 } == true, "READY=1 came before both listeners were bound")
        #expect(systemd.messages(with: "READY=1").count == 1)

        // Work flows: pings every half watchdog interval. One logout at a time, each delivered
        // before the next, until four pings have come (or 30 s, which would fail).
        let rp = try await TestServer.start()
        try await Self.register(daemon, rp: rp)
        let flowing = ContinuousClock.now
        var logouts = 0
        while systemd.messages(with: "WATCHDOG=1", from: flowing, to: .now).count < 4,
            flowing.duration(to: .now) < .seconds(30)
        {
            try await Self.addSession(daemon, sub: "u\(logouts)")
            _ = try await daemon.admin(.POST, "/admin/v1/logout", ["issuer": "idp", "sub": .string("u\(logouts)")])
            logouts += 1
            #expect(await eventually { rp.received.count == logouts })
        }
        let pings = systemd.messages(with: "WATCHDOG=1", from: flowing, to: .now)
        #expect(pings.count >= 4, "\(pings.count) pings in \(flowing.duration(to: .now)) with a 1 s watchdog")

        // The dispatcher stalls (another process holds the database's write lock, until the test
        // lets go): pings stop. Counted from the daemon saying so, over two more failed claims
        // (each waits for the busy timeout), so the window spans several ping periods.
        // A loaded machine may have starved the daemon for a period already: only lines written
        // from now on count.
        func count(_ line: String) -> Int { daemon.log.components(separatedBy: line).count - 1 }
        let (silences, resumptions) = (count("the dispatcher made no progress"), count("watchdog pings resumed"))
        let failedClaims = count("cannot claim deliveries")
        let releasedAt = Mutex<ContinuousClock.Instant?>(nil)
        let letGo = DispatchSemaphore(value: 0)
        // The daemon may be writing at that instant: wait for the lock, as a second writer would,
        // rather than fail to take it (the suite under load once did, and no stall followed).
        var waiting = Configuration()
        waiting.busyMode = .timeout(10)
        let database = try DatabaseQueue(path: folder.file("data/logoutd.sqlite3"), configuration: waiting)
        Thread {
            // GRDB wants a transaction closed within one access: hold it on a thread of its own.
            try? database.inDatabase { db in
                try db.execute(sql: "BEGIN EXCLUSIVE")
                letGo.wait()
                // Taken before the lock goes: a ping after it may follow the release at once.
                releasedAt.withLock { $0 = .now }
                try db.execute(sql: "COMMIT")
            }
        }.start()
        // Silent from when a claim has failed on the lock (a beat before it is a busy timeout
        // ago, long pinged) and the daemon has said so; then over two more failed claims.
        let noticed = await eventually(timeout: 30) {
            count("cannot claim deliveries") > failedClaims && count("the dispatcher made no progress") > silences
        }
        let silentFrom = ContinuousClock.now
        let failedBefore = count("cannot claim deliveries")
        let claimsFailedSince = await eventually(timeout: 30) { count("cannot claim deliveries") >= failedBefore + 2 }
        letGo.signal()
        #expect(noticed && claimsFailedSince, "the stall went unnoticed:\n\(daemon.log)")
        #expect(await eventually(timeout: 10) { releasedAt.withLock { $0 } != nil })
        let released = try #require(releasedAt.withLock { $0 })
        let stalledPings = systemd.messages(with: "WATCHDOG=1", from: silentFrom, to: released)
        #expect(
            stalledPings.isEmpty,
            "pings went on while the dispatcher could not claim: \(stalledPings.map { silentFrom.duration(to: $0.at) }) after the daemon said so, released after \(silentFrom.duration(to: released))"
        )
        #expect(await eventually(timeout: 30) { !systemd.messages(with: "WATCHDOG=1", from: released).isEmpty })
        #expect(await eventually { count("watchdog pings resumed") > resumptions })

        daemon.signal(SIGTERM)
        #expect(await daemon.waitForExit() == 0)
        #expect(await eventually { !systemd.messages(with: "STOPPING=1").isEmpty })
        await rp.stop()
    }

    static func register(_ daemon: DaemonProcess, rp: TestServer) async throws {
        let key = TokenForge.newES256(kid: "systemd-idp")
        try await daemon.registerIdP(key)
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "app", "backchannel_logout_uri": .string(rp.url + "/bcl")]
        )
    }

    static func addSession(_ daemon: DaemonProcess, sub: String) async throws {
        let answer = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "https://idp.example", "sub": .string(sub), "client_id": "app"]
        )
        #expect(answer.status == .created)
    }
}
