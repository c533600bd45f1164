import Foundation
import LogoutCore
import NIOHTTP1
import Synchronization
import TestSupport
import Testing

/// The real binary on PostgreSQL: one replica, three replicas sharing one database through a
/// SIGKILL and a SIGTERM, and a database restart mid-burst (rulebook Q-1, IN-12, IN-17).
@Suite(.serialized, .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct ScaleOutEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "scale-idp")

    /// What an RP received: the claims of each logout token.
    static func claims(_ server: TestServer) -> [(jti: String, sid: String)] {
        server.received.compactMap { request in
            guard let token = request.body.split(separator: "=", maxSplits: 1).last,
                case let parts = token.split(separator: "."), parts.count == 3,
                let payload = Base64URL.decode(String(parts[1])),
                let json = try? StrictJSONParser.parse(payload),
                let jti = json["jti"]?.stringValue, let sid = json["sid"]?.stringValue
            else { return nil }
            return (jti, sid)
        }
    }

    func logout(_ index: Int) throws -> String {
        try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "u\(index)",
            sid: "s\(index)",
            key: Self.idpKey
        )
    }

    func register(_ daemon: DaemonProcess, rps: [(String, TestServer)], subjects: Int) async throws {
        try await daemon.registerIdP(Self.idpKey)
        for (id, server) in rps {
            try await daemon.admin(
                .POST,
                "/admin/v1/rps",
                ["client_id": .string(id), "backchannel_logout_uri": .string(server.url + "/bcl")]
            )
            for index in 0..<subjects {
                try await daemon.admin(
                    .POST,
                    "/admin/v1/sessions",
                    [
                        "issuer": "https://idp.example", "sub": .string("u\(index)"), "sid": .string("s\(index)"),
                        "client_id": .string(id), "rp_sid": .string("s\(index)"),
                    ]
                )
            }
        }
    }

    @Test func oneReplicaOnPostgresDeliversAndChecksItsDatabase() async throws {
        let rp = try await TestServer.start()
        let daemon = try DaemonProcess(database: try await TestPostgres.freshDatabase())
        try await daemon.start()
        defer { Task { await daemon.stop() } }
        try await register(daemon, rps: [("shop", rp)], subjects: 1)
        #expect(try await daemon.postLogout(try logout(0)).status == .ok)
        #expect(await eventually(timeout: 10) { Self.claims(rp).map(\.sid) == ["s0"] })
        let check = try await ChildProcess.run(DaemonProcess.binary, ["check-config", "--config", daemon.configPath])
        #expect(check.status == 0)
        #expect(check.output.contains("database: PostgreSQL") && check.output.contains("synchronous_commit on"))
        #expect(daemon.log.contains("database ready") && !daemon.log.contains("password"))
    }

    /// An issuer registered through one replica checks tokens on the others at once (they keep
    /// issuers in memory and reload them when told through `LISTEN/NOTIFY`).
    @Test func anIssuerRegisteredOnOneReplicaIsKnownToTheOthers() async throws {
        let url = try await TestPostgres.freshDatabase()
        let rp = try await TestServer.start()
        let first = try DaemonProcess(database: url)
        try await first.start()
        let folder = TemporaryDirectory()
        try FileManager.default.createDirectory(atPath: folder.file("keys"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: first.folder.file("keys/secrets.key"),
            toPath: folder.file("keys/secrets.key")
        )
        let second = try DaemonProcess(folder: folder, database: url)
        try await second.start()
        defer {
            Task {
                await first.stop()
                await second.stop()
            }
        }
        try await register(first, rps: [("shop", rp)], subjects: 1)
        #expect(
            await eventually(timeout: 10) {
                (try? await second.postLogout(try logout(0)).status) == .ok
            }
        )
        #expect(await eventually(timeout: 10) { Self.claims(rp).map(\.sid) == ["s0"] })
        try await first.admin(.DELETE, "/admin/v1/issuers/idp")
        #expect(
            await eventually(timeout: 10) {
                (try? await second.postLogout(try logout(1)).status) == .badRequest
            }
        )
    }

    /// Three replicas, logouts posted round-robin; one is killed (SIGKILL) and one stopped
    /// (SIGTERM) mid-burst. Every acknowledged logout reaches every RP it names, no token is
    /// received twice (one attempt, one replica), no two attempts of a delivery overlap, and
    /// nothing stays waiting.
    @Test func threeReplicasLoseNothingThroughAKillAndAStop() async throws {
        let url = try await TestPostgres.freshDatabase()
        let servers = [
            ("a", try await TestServer.start { _, _ in Behavior(delay: 0.05) }),
            ("b", try await TestServer.start()),
            ("c", try await TestServer.start { _, _ in Behavior(delay: 0.02) }),
        ]
        // A 1 s attempt timeout keeps the killed replica's leases short (2 × timeout + 30 s).
        let first = try DaemonProcess(delivery: ["timeout: \"1s\"", "per_rp_concurrency: 2"], database: url)
        try await first.start()
        let subjects = 90
        try await register(first, rps: servers, subjects: subjects)
        // Each replica gets only the secrets key (the key-encryption key, a credential in
        // production); the signing keys come from the shared store.
        var replicas = [first]
        for _ in 1..<3 {
            let folder = TemporaryDirectory()
            try FileManager.default.createDirectory(atPath: folder.file("keys"), withIntermediateDirectories: true)
            try FileManager.default.copyItem(
                atPath: first.folder.file("keys/secrets.key"),
                toPath: folder.file("keys/secrets.key")
            )
            let replica = try DaemonProcess(
                folder: folder,
                delivery: ["timeout: \"1s\"", "per_rp_concurrency: 2"],
                database: url
            )
            try await replica.start()
            replicas.append(replica)
        }
        let all = replicas
        let published = try await first.get(first.publicURL + "/.well-known/jwks.json").body
        #expect(published.contains("\"kid\""))
        for replica in replicas.dropFirst() {
            #expect(try await replica.get(replica.publicURL + "/.well-known/jwks.json").body == published)
        }
        defer { for replica in all { Task { await replica.stop() } } }

        let post: @Sendable (Int) async throws -> Int? = { index in
            // As a load balancer would: the next replica when one does not answer.
            let token = try logout(index)
            for attempt in 0..<3 {
                if (try? await all[(index + attempt) % 3].postLogout(token))?.status == .ok { return index }
            }
            return nil
        }
        // Posted `window` at a time, each new post when one is answered, so that the kill and
        // the stop land mid-burst: after a third and a half of the posts were answered, with
        // `window` in flight and more to come.
        let window = 10
        let acknowledged = try await withThrowingTaskGroup(of: Int?.self) { group in
            var next = 0
            var answered = 0
            var indexes: [Int] = []
            while next < window {
                group.addTask { [next] in try await post(next) }
                next += 1
            }
            for try await index in group {
                answered += 1
                if let index { indexes.append(index) }
                if answered == subjects / 3 { all[1].signal(SIGKILL) }
                if answered == subjects / 2 { all[2].signal(SIGTERM) }
                if next < subjects {
                    group.addTask { [next] in try await post(next) }
                    next += 1
                }
            }
            return indexes
        }
        #expect(acknowledged.count >= subjects - 6, "the surviving replica did not take the posts over")
        let expected = Set(acknowledged.map { "s\($0)" })
        let delivered = await eventually(timeout: 90, interval: 0.25) {
            servers.allSatisfy { expected.isSubset(of: Set(Self.claims($0.1).map(\.sid))) }
        }
        #expect(delivered, "an acknowledged logout did not reach every RP")
        for (id, server) in servers {
            let jtis = Self.claims(server).map(\.jti)
            #expect(Set(jtis).count == jtis.count, "RP \(id) received one token twice")
        }
        let overlaps = try await TestPostgres.query(
            """
            SELECT count(*)::text FROM attempts a JOIN attempts b ON a.delivery_id = b.delivery_id AND a.attempt < b.attempt
            WHERE b.started_at < a.started_at + a.duration_ms
            """,
            on: url
        )
        #expect(overlaps.first?.first == "0", "two attempts of one delivery ran at once")
        // Logouts committed but not answered (the kill cut their answer) are delivered too, once
        // the killed replica's leases expire: nothing stays waiting.
        let drained = await eventually(timeout: 60, interval: 0.5) {
            let waiting = try? await TestPostgres.query(
                "SELECT count(*)::text FROM deliveries WHERE status IN ('pending', 'retrying')",
                on: url
            )
            return waiting?.first?.first == "0"
        }
        #expect(drained, "deliveries are stuck")
        #expect(await all[2].waitForExit() == 0)
    }

    /// While PostgreSQL is down a logout is answered 503, never 200 without a commit; once it
    /// is back, acknowledgements and deliveries resume by themselves.
    @Test func aDatabaseRestartTurnsAcknowledgementsInto503AndDeliveryResumes() async throws {
        let cluster = try await TestPostgres.privateCluster()
        defer { Task { await cluster.stop() } }
        let rp = try await TestServer.start()
        // An outcome that could not be stored during the outage is attempted again once its lease
        // ends (2 × timeout + 30 s): a short timeout keeps that within the test.
        let daemon = try DaemonProcess(delivery: ["timeout: \"1s\""], database: cluster.url)
        try await daemon.start()
        defer { Task { await daemon.stop() } }
        try await register(daemon, rps: [("shop", rp)], subjects: 30)
        var acknowledged: [Int] = []
        for index in 0..<10 where try await daemon.postLogout(try logout(index)).status == .ok {
            acknowledged.append(index)
        }
        try await cluster.control("stop")
        var refused = 0
        for index in 10..<20 {
            let status = try await daemon.postLogout(try logout(index)).status
            #expect(status == .serviceUnavailable || status == .ok)
            if status == .ok { acknowledged.append(index) } else { refused += 1 }
        }
        #expect(refused == 10, "a logout was acknowledged while the database was down")
        #expect(try await daemon.get(daemon.publicURL + "/readyz").status == .serviceUnavailable)
        try await cluster.control("start")
        #expect(
            await eventually(timeout: 30, interval: 0.25) {
                (try? await daemon.postLogout(try logout(20)).status) == .ok
            }
        )
        acknowledged.append(20)
        let expected = Set(acknowledged.map { "s\($0)" })
        // Up to a lease (32 s) and a backoff after the outage. A logout answered 503 may still
        // have committed once the server was back (its wait for a connection outlived the
        // answer): the notifier's retry is then a duplicate, so more than `expected` may arrive.
        let delivered = await eventually(timeout: 150, interval: 0.25) {
            expected.isSubset(of: Set(Self.claims(rp).map(\.sid)))
        }
        let missing = expected.subtracting(Self.claims(rp).map(\.sid)).sorted()
        let diagnosis = delivered ? "" : await daemon.diagnosis()
        #expect(delivered, "not delivered: \(missing)\n\(diagnosis)")
    }
}

/// `logoutd migrate-store`: a SQLite deployment moved to PostgreSQL with a short stop.
@Suite(.serialized, .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct MigrateStoreEndToEndTests {
    @Test func aStoppedSQLiteDaemonMovesToPostgresWithItsQueueAndKeys() async throws {
        let up = Mutex(false)
        let rp = try await TestServer.start { _, _ in up.withLock { $0 } ? .ok : Behavior(status: 503) }
        // Retries every second, never giving up nor pausing (breaker) within the test, however
        // slow the machine is.
        let sqlite = try DaemonProcess(
            delivery: [
                "backoff_initial: \"1s\"", "backoff_max: \"1s\"", "max_attempts: 1000", "breaker_threshold: 1000",
            ]
        )
        try await sqlite.start()
        try await sqlite.registerIdP(ScaleOutEndToEndTests.idpKey)
        try await sqlite.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "shop", "backchannel_logout_uri": .string(rp.url + "/bcl")]
        )
        for index in 0..<3 {
            try await sqlite.admin(
                .POST,
                "/admin/v1/sessions",
                [
                    "issuer": "https://idp.example", "sub": .string("u\(index)"), "sid": .string("s\(index)"),
                    "client_id": "shop", "rp_sid": .string("s\(index)"),
                ]
            )
        }
        let token = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "u0",
            sid: "s0",
            key: ScaleOutEndToEndTests.idpKey
        )
        #expect(try await sqlite.postLogout(token).status == .ok)
        #expect(await eventually(timeout: 10) { !rp.received.isEmpty })
        let jwks = try await sqlite.get(sqlite.publicURL + "/.well-known/jwks.json").body
        let url = try await TestPostgres.freshDatabase()
        let path = sqlite.folder.file("data/logoutd.sqlite3")

        // Refused while the daemon runs: its lock is held.
        let running = try await ChildProcess.run(
            DaemonProcess.binary,
            ["migrate-store", "--from", "sqlite:" + path, "--to", url],
            mergeErrors: true
        )
        #expect(running.status == 1 && running.output.contains("stop the logoutd running"))
        await sqlite.stop()
        let moved = try await ChildProcess.run(
            DaemonProcess.binary,
            ["migrate-store", "--from", "sqlite:" + path, "--to", url],
            mergeErrors: true
        )
        #expect(moved.status == 0, "\(moved.output)")
        #expect(moved.output.contains("sessions") && moved.output.contains("deliveries"))
        // A second copy into the same database is refused, all or nothing.
        let again = try await ChildProcess.run(
            DaemonProcess.binary,
            ["migrate-store", "--from", "sqlite:" + path, "--to", url],
            mergeErrors: true
        )
        #expect(again.status == 1 && again.output.contains("migrate into an empty one"))

        // The same folder (keys, secrets key, admin token), now on PostgreSQL.
        let postgres = try DaemonProcess(
            folder: sqlite.folder,
            delivery: [
                "backoff_initial: \"1s\"", "backoff_max: \"1s\"", "max_attempts: 1000", "breaker_threshold: 1000",
            ],
            database: url
        )
        try await postgres.start()
        defer { Task { await postgres.stop() } }
        #expect(try await postgres.get(postgres.publicURL + "/.well-known/jwks.json").body == jwks)
        let sessions = try await postgres.admin(.GET, "/admin/v1/sessions").json["sessions"]?.arrayValue ?? []
        #expect(sessions.count == 2)
        // The delivery that was retrying on SQLite lands from PostgreSQL once the RP answers.
        let before = rp.received.count
        up.withLock { $0 = true }
        #expect(await eventually(timeout: 20) { rp.received.count > before }, "\(postgres.log)")
        #expect(
            await eventually(timeout: 10) {
                let delivered = try? await postgres.admin(.GET, "/admin/v1/deliveries?status=delivered").json[
                    "deliveries"
                ]?.arrayValue
                return delivered?.count == 1
            }
        )
        // A new logout on PostgreSQL gets an id after the copied ones.
        let second = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "u1",
            sid: "s1",
            key: ScaleOutEndToEndTests.idpKey
        )
        #expect(try await postgres.postLogout(second).status == .ok)
    }
}
