import Foundation
import LogoutCore
import LogoutPostgres
import LogoutStorage
import TestSupport
import Testing

/// The log's lookups, the queue's figures and the admin's recovery (ADM-1, ADM-3, Q-3, Q-4), the
/// replay lookup (BR-9) and the backup (`logoutd backup`), on every store.
extension StoreConformanceTests {
    /// ADM-1: one event by id, as the list shows it; an unknown id is nothing.
    @Test(arguments: StoreKind.allCases)
    func anEventIsReadByID(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        _ = try await f.store.insertSession(f.session("a", sid: "s1"), now: f.now)
        guard case .accepted(let eventID, 1, _, _) = try await f.store.recordLogout(f.logout(sid: "s1"), now: f.now)
        else {
            Issue.record("not accepted")
            return
        }
        _ = try await f.store.recordLogout(f.logout(sub: "other", jti: "j2", hash: "h2"), now: f.now + .seconds(1))
        let event = try #require(try await f.store.event(id: eventID))
        #expect(
            event
                == EventRecord(
                    id: eventID,
                    receivedAt: f.now,
                    source: "idp",
                    iss: "https://idp",
                    sub: "u",
                    sid: "s1",
                    jti: "j",
                    tokenHash: "h",
                    outcome: .accepted,
                    reason: nil,
                    deliveries: 1,
                    clientAddress: "127.0.0.1"
                )
        )
        #expect(try await f.store.events(EventQuery()).last == event)
        #expect(try await f.store.event(id: eventID + 1000) == nil)
    }

    /// BR-9: a replay record is found by its key and token hash until it expires, and looking
    /// does not write (no event, nothing ended).
    @Test(arguments: StoreKind.allCases)
    func aReplayRecordIsFoundUntilItExpires(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let logout = f.logout(jti: "hint", hash: "hint-hash")
        let replay = try #require(logout.replay)
        #expect(try await f.store.replayRecorded(replay, now: f.now) == false, "found before it was recorded")
        _ = try await f.store.recordLogout(logout, now: f.now)
        #expect(try await f.store.replayRecorded(replay, now: f.now))
        #expect(try await f.store.replayRecorded(replay, now: replay.expiresAt - .milliseconds(1)))
        #expect(try await f.store.replayRecorded(replay, now: replay.expiresAt) == false, "expired")
        var otherToken = replay
        otherToken.tokenHash = "other-hash"
        #expect(try await f.store.replayRecorded(otherToken, now: f.now) == false, "another token under the key")
        var otherIssuer = replay
        otherIssuer.issuerName = "app"
        #expect(try await f.store.replayRecorded(otherIssuer, now: f.now) == false, "another issuer's key")
        #expect(try await f.store.events(EventQuery()).count == 1, "a lookup wrote an event")
    }

    /// Q-4: the deliveries an RP failed or skipped since a time are queued again, with a fresh
    /// start; older ones, other RPs' and delivered ones stay as they are.
    @Test(arguments: StoreKind.allCases)
    func recoveryQueuesAnRPsFailedAndSkippedDeliveriesSinceATime(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        for rp in ["a", "b"] { try await f.store.insertRelyingParty(f.rp(rp)) }
        let since = f.now + .seconds(60)
        // u0 fails at a, before `since`; u1 and u2 fail and are skipped at a, u3 is delivered at
        // a, all after it; u1 fails at b too.
        let plan: [(sub: String, at: Timestamp, rps: [String])] = [
            ("u0", f.now, ["a"]), ("u1", since, ["a", "b"]), ("u2", since, ["a"]), ("u3", since, ["a"]),
        ]
        for (index, (sub, at, rps)) in plan.enumerated() {
            for rp in rps { _ = try await f.store.insertSession(f.session(rp, sub: sub), now: f.now) }
            _ = try await f.store.recordLogout(f.logout(sub: sub, jti: "j\(index)", hash: "h\(index)"), now: at)
        }
        let claimed = try await f.store.claimDue(f.claim(), now: since)
        let byKey = Dictionary(uniqueKeysWithValues: claimed.map { ("\($0.clientID) \($0.sub ?? "")", $0) })
        for key in ["a rp-u0", "a rp-u1", "b rp-u1"] {
            try await f.finish(try #require(byKey[key]), status: 400, at: since + .seconds(1))
        }
        try await f.finish(try #require(byKey["a rp-u3"]), status: 200, at: since + .seconds(1))
        try await f.store.releaseLeases(ids: [try #require(byKey["a rp-u2"]).id], now: since)
        #expect(try await f.store.skipWaitingDeliveries(clientID: "a", reason: "disabled", now: since) == 1)

        let later = since + .seconds(120)
        #expect(try await f.store.recoverDeliveries(clientID: "a", since: since, now: later) == 2)
        let after = try await f.store.deliveries(DeliveryQuery())
        func state(_ rp: String, _ sub: String) -> DeliveryRecord? {
            after.first { $0.clientID == rp && $0.sub == "rp-" + sub }
        }
        for sub in ["u1", "u2"] {
            let record = try #require(state("a", sub))
            #expect(record.status == .pending && record.nextAttemptAt == later && record.reason == nil, "\(sub)")
        }
        #expect(state("a", "u0")?.status == .failed, "failed before `since`")
        #expect(state("b", "u1")?.status == .failed, "another RP's")
        #expect(state("a", "u3")?.status == .delivered)
        #expect(Set(try await f.store.claimDue(f.claim(), now: later).map(\.sub)) == ["rp-u1", "rp-u2"])
        // Queued again, they count from the recovery: a second recovery since then finds nothing.
        #expect(try await f.store.recoverDeliveries(clientID: "a", since: later, now: later) == 0)
        #expect(try await f.store.recoverDeliveries(clientID: "nobody", since: f.now, now: later) == 0)
    }

    /// ADM-3: waiting deliveries by state, attempts running apart, and the oldest creation time;
    /// nothing waiting is all zeros. The writer's busy time is SQLite's alone, and grows.
    @Test(arguments: StoreKind.allCases)
    func queueStatisticsCountWaitingDeliveriesByState(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        /// The counts, without the busy time (which `busy` checks).
        func statistics() async throws -> QueueStatistics {
            var statistics = try await f.store.queueStatistics()
            statistics.writerBusy = nil
            return statistics
        }
        func busy() async throws -> Duration? { try await f.store.queueStatistics().writerBusy?.acknowledged }
        let busyAtStart = try await busy()
        #expect(try await statistics() == QueueStatistics())
        try await f.store.insertRelyingParty(f.rp("a"))
        for index in 0..<3 {
            _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now)
            _ = try await f.store.recordLogout(
                f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: f.now + .seconds(Int64(5 * index))
            )
        }
        let ten = f.now + .seconds(10)
        let retried = try #require(try await f.store.claimDue(f.claim(limit: 1), now: ten).first)
        try await f.finish(retried, status: 503, at: ten)
        let running = try #require(try await f.store.claimDue(f.claim(limit: 1), now: ten).first)
        #expect(running.id != retried.id)
        var expected = QueueStatistics()
        expected.pending = 1
        expected.retrying = 1
        expected.inFlight = 1
        expected.oldestWaitingCreatedAt = f.now
        #expect(try await statistics() == expected)
        if kind == .sqlite {
            #expect(try #require(try await busy()) > #require(busyAtStart), "three logouts took the writer no time")
        } else {
            #expect(try await busy() == nil)
        }

        // Within the running attempt's lease: the other two are claimed, it is not.
        let rest = try await f.store.claimDue(f.claim(), now: ten + .seconds(30))
        #expect(rest.count == 2 && !rest.contains { $0.id == running.id })
        for delivery in rest + [running] { try await f.finish(delivery, status: 200, at: ten + .seconds(30)) }
        #expect(try await statistics() == QueueStatistics(), "delivered ones still counted")
    }

    /// `logoutd backup`: the embedded store writes a copy that opens as a store with the same
    /// contents, never over an existing file; the shared store refuses and names pg_dump,
    /// writing nothing.
    @Test(arguments: StoreKind.allCases)
    func aSnapshotIsACompleteCopyOrARefusal(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        _ = try await f.store.insertSession(f.session("a"), now: f.now)
        _ = try await f.store.recordLogout(f.logout(), now: f.now)
        let path = f.folder.file("copy.sqlite3")
        switch kind {
        case .sqlite:
            try await f.store.snapshot(into: path)
            let copy = try LogoutDatabase(path: path)
            #expect(try await copy.events(EventQuery()) == (try await f.store.events(EventQuery())))
            #expect(try await copy.deliveries(DeliveryQuery()) == (try await f.store.deliveries(DeliveryQuery())))
            #expect(try await copy.issuers() == (try await f.store.issuers()))
            try copy.close()
            let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
            await #expect(throws: (any Error).self, "a snapshot overwrote a file") {
                try await f.store.snapshot(into: path)
            }
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == size)
        case .postgres:
            let refusal = await #expect(throws: PostgresStore.Failure.self) { try await f.store.snapshot(into: path) }
            #expect(refusal?.description.contains("back up PostgreSQL with pg_dump") == true)
            #expect(!FileManager.default.fileExists(atPath: path))
        }
    }
}

extension StoreFixture {
    /// Records one attempt of `delivery` answered with `status` at `at`, as the dispatcher does.
    func finish(_ delivery: ClaimedDelivery, status: Int, at: Timestamp) async throws {
        var generator = SystemRandomNumberGenerator()
        let transition = DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: status)),
            attemptsBefore: delivery.attempts,
            createdAt: delivery.createdAt,
            finishedAt: at,
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
        let attempt = AttemptRecord(
            deliveryID: delivery.id,
            attempt: delivery.attempts + 1,
            startedAt: at,
            duration: .milliseconds(1),
            statusCode: status,
            errorClass: transition.errorClass,
            jti: "jti-\(delivery.id)-\(delivery.attempts + 1)",
            rpError: nil,
            nextAttemptAt: transition.nextAttemptAt
        )
        try await store.recordAttempt(AttemptReport(deliveryID: delivery.id, attempt: attempt, transition: transition))
    }
}
