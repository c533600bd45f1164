import Foundation
import LogoutCore
import TestSupport
import Testing

/// What every `LogoutStore` must do, whatever database is behind it: written against the
/// protocols only, run once per store kind.
@Suite struct StoreConformanceTests {
    // MARK: Intake (IN-12, IN-17, RES-2)

    @Test(arguments: StoreKind.allCases)
    func recordsEventDeliveriesAndEndsSessionsInOneStep(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        try await f.store.insertRelyingParty(f.rp("b"))
        _ = try await f.store.insertSession(f.session("a", sid: "s1"), now: f.now)
        _ = try await f.store.insertSession(f.session("b"), now: f.now)
        guard case .accepted(let eventID, 2, _, _) = try await f.store.recordLogout(f.logout(), now: f.now) else {
            Issue.record("not accepted with two deliveries")
            return
        }
        let deliveries = try await f.store.deliveries(DeliveryQuery(eventID: eventID))
        #expect(Set(deliveries.map(\.clientID)) == ["a", "b"])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.nextAttemptAt == f.now })
        #expect(deliveries.first { $0.clientID == "a" }?.sid == "rp-s1")
        #expect(try await f.store.sessions(SessionQuery()).isEmpty)
        #expect(try await f.store.sessions(SessionQuery(includeEnded: true)).count == 2)
        // The sessions ended: a second logout of the same subject finds none.
        guard case .accepted(_, 0, _, _) = try await f.store.recordLogout(f.logout(jti: "j2", hash: "h2"), now: f.now)
        else {
            Issue.record("second logout fanned out again")
            return
        }
    }

    @Test(arguments: StoreKind.allCases)
    func sameJTISameTokenIsADuplicateOtherTokenIsAConflict(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        guard case .accepted(let first, _, _, _) = try await f.store.recordLogout(f.logout(), now: f.now) else {
            Issue.record("not accepted")
            return
        }
        #expect(try await f.store.recordLogout(f.logout(), now: f.now) == .duplicate(originalEventID: first))
        #expect(try await f.store.recordLogout(f.logout(hash: "other"), now: f.now) == .replayConflict)
        let outcomes = try await f.store.events(EventQuery()).map(\.outcome)
        #expect(outcomes == [.rejected, .duplicate, .accepted])
    }

    /// BR-9: a repeated `id_token_hint` records nothing at all, not even a `duplicate` event,
    /// and ends nothing more; another token under its key is still a conflict.
    @Test(arguments: StoreKind.allCases)
    func aRepeatedHintRecordsNothing(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        _ = try await f.store.insertSession(f.session("a"), now: f.now)
        var hint = f.logout(jti: nil, hash: "hint-hash")
        hint.request.source = "end-session"
        hint.replay = ReplayKey(
            issuerName: "idp",
            key: "id_token_hint:hint-hash",
            tokenHash: "hint-hash",
            expiresAt: f.now + .seconds(86_400),
            logsRepeats: false
        )
        guard case .accepted(let first, 1, _, _) = try await f.store.recordLogout(hint, now: f.now) else {
            Issue.record("the first use did not end the session")
            return
        }
        // A new session of the same subject after the first use: a replay must not end it.
        _ = try await f.store.insertSession(f.session("a"), now: f.now + .seconds(1))
        for second in 2..<17 {
            #expect(
                try await f.store.recordLogout(hint, now: f.now + .seconds(Int64(second)))
                    == .duplicate(originalEventID: first)
            )
        }
        #expect(try await f.store.events(EventQuery()).map(\.outcome) == [.accepted])
        #expect(try await f.store.sessions(SessionQuery()).count == 1, "a replay ended the new session")
        #expect(try await f.store.deliveries(DeliveryQuery()).count == 1)
        // Past the replay record's life, the same hint would be a new logout (the validator
        // refuses it by then: its record outlives its acceptance).
        guard case .accepted = try await f.store.recordLogout(hint, now: f.now + .seconds(86_401)) else {
            Issue.record("an expired replay record still blocked")
            return
        }
    }

    @Test(arguments: StoreKind.allCases)
    func concurrentLogoutsAllLand(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        for index in 0..<200 { _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now) }
        try await withThrowingTaskGroup(of: RecordedLogout.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await f.store.recordLogout(
                        f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                        now: f.now
                    )
                }
            }
            for try await result in group {
                guard case .accepted(_, 1, _, _) = result else {
                    Issue.record("unexpected \(result)")
                    continue
                }
            }
        }
        #expect(try await f.store.deliveries(DeliveryQuery(limit: 1000)).count == 200)
        #expect(try await f.store.events(EventQuery(limit: 1000)).count == 200)
    }

    /// SEC-4: a rejected request costs a bounded number of bytes, however large its fields; the
    /// queue of rejections is bounded and counts what it drops.
    @Test(arguments: StoreKind.allCases)
    func rejectionsAreStoredBoundedAndTheirQueueIsBounded(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        #expect(f.store.enqueueRejection(f.rejection(1), now: f.now))
        try await f.store.flushRejections()
        let event = try #require(try await f.store.events(EventQuery()).first)
        #expect(event.outcome == .rejected && event.source == "unknown")
        #expect((event.iss?.count ?? 0) <= 257 && (event.jti?.count ?? 0) <= 257)
        #expect(event.sub == "sub1?")
        #expect((event.reason?.count ?? 0) <= 301)

        let entry = f.rejection()
        var accepted = 0
        for _ in 0..<5000 where f.store.enqueueRejection(entry, now: f.now) { accepted += 1 }
        #expect(accepted < 5000)
        #expect(f.store.takeDroppedRejections() == 5000 - accepted)
        #expect(f.store.takeDroppedRejections() == 0)
        for _ in 0..<100 { try await f.store.flushRejections() }
        #expect(try await f.store.events(EventQuery(limit: 1000)).count == 1000)
    }

    // MARK: Queue (Q-1, Q-5, DEL-7)

    @Test(arguments: StoreKind.allCases)
    func claimsRespectPerRPLimitsAndLeaseUntilTheAttemptIsRecorded(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        try await f.store.insertRelyingParty(f.rp("b"))
        for index in 0..<10 {
            _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now)
            _ = try await f.store.insertSession(f.session("b", sub: "u\(index)"), now: f.now)
            _ = try await f.store.recordLogout(
                f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: f.now
            )
        }
        let claimed = try await f.store.claimDue(f.claim(available: ["a": 1], defaultAvailable: 3), now: f.now)
        #expect(claimed.filter { $0.clientID == "a" }.count == 1)
        #expect(claimed.filter { $0.clientID == "b" }.count == 3)
        // Leased deliveries are not claimed twice while the lease runs.
        let again = try await f.store.claimDue(f.claim(), now: f.now)
        #expect(Set(again.map(\.id)).isDisjoint(with: claimed.map(\.id)))
        #expect(again.count == 16)
        // An expired lease is taken again: at least once, never lost.
        #expect(try await f.store.claimDue(f.claim(), now: f.now + .seconds(41)).count == 20)
        // Releasing all leases at start makes everything due at once.
        #expect(try await f.store.releaseAllLeases(now: f.now) == 20)
        #expect(try await f.store.nextDueAt() == f.now)
    }

    @Test(arguments: StoreKind.allCases)
    func recordingAnAttemptStoresTheTransitionAndTheLog(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let delivery = try await f.claimedDelivery()
        let transition = f.unavailable(finishedAt: f.now + .seconds(1))
        let attempt = AttemptRecord(
            deliveryID: delivery.id,
            attempt: 1,
            startedAt: f.now,
            duration: .milliseconds(12),
            statusCode: 503,
            errorClass: .http5xx,
            jti: "minted",
            rpError: nil,
            nextAttemptAt: transition.nextAttemptAt,
            remoteAddress: "192.0.2.7"
        )
        try await f.store.recordAttempt(
            AttemptReport(deliveryID: delivery.id, attempt: attempt, transition: transition)
        )
        let (record, attempts) = try #require(try await f.store.delivery(id: delivery.id))
        #expect(record.status == .retrying && record.attempts == 1 && record.lastStatusCode == 503)
        #expect(record.nextAttemptAt == f.now + .seconds(6))
        #expect(attempts.map(\.jti) == ["minted"] && attempts.first?.duration == .milliseconds(12))
        #expect(attempts.first?.remoteAddress == "192.0.2.7")
        #expect(try await f.store.retryDelivery(id: delivery.id, now: f.now) == .queued)
        #expect(try await f.store.retryDelivery(id: 999_999, now: f.now) == .notFound)
    }

    /// One write holds a dispatcher pass's outcomes: each delivery gets its own state, and the
    /// RP's breaker learns from every one of them, in order, not from the last only.
    @Test(arguments: StoreKind.allCases)
    func aBatchOfOutcomesFinishesEachDeliveryAndFeedsTheBreakerEveryVerdict(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        for index in 0..<3 {
            _ = try await f.store.insertSession(f.session("a", sub: "u\(index)"), now: f.now)
            _ = try await f.store.recordLogout(
                f.logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"),
                now: f.now
            )
        }
        let claimed = try await f.store.claimDue(f.claim(available: ["a": 2]), now: f.now)
        #expect(claimed.count == 2)
        let policy = CircuitBreaker.Policy(threshold: 2, initialPause: .seconds(30))
        var generator = SystemRandomNumberGenerator()
        let transition = DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: 503)),
            attemptsBefore: 0,
            createdAt: f.now,
            finishedAt: f.now,
            policy: RetryPolicy(jitter: 0),
            using: &generator
        )
        let reports = claimed.map { delivery in
            AttemptReport(
                deliveryID: delivery.id,
                clientID: "a",
                eventID: delivery.eventID,
                attempt: AttemptRecord(
                    deliveryID: delivery.id,
                    attempt: 1,
                    startedAt: f.now,
                    duration: .milliseconds(5),
                    statusCode: 503,
                    errorClass: .http5xx,
                    jti: "jti-\(delivery.id)",
                    rpError: nil,
                    nextAttemptAt: transition.nextAttemptAt
                ),
                transition: transition,
                breaker: BreakerInput(
                    verdict: .retryable(.http5xx, reason: "HTTP 503", retryAfter: nil),
                    policy: policy
                )
            )
        }
        try await f.store.recordAttempts(reports)
        for delivery in claimed {
            let (record, attempts) = try #require(try await f.store.delivery(id: delivery.id))
            #expect(record.status == .retrying && record.attempts == 1 && record.inFlightSince == nil)
            #expect(attempts.map(\.jti) == ["jti-\(delivery.id)"])
        }
        // Two failures reached the threshold of two: the breaker is open and nothing is claimed,
        // though all three deliveries are due.
        #expect(try await f.store.claimDue(f.claim(), now: f.now + .seconds(1)).isEmpty)
        // Due at the probe, not at its deliveries' due times: the engine sleeps till then.
        let probeAt = try #require(try await f.store.relyingParties().first { $0.relyingParty.clientID == "a" })
            .breaker.nextProbeAt
        #expect(try await f.store.nextDueAt() == probeAt)
        #expect(try await f.store.claimDue(f.claim(), now: f.now + .seconds(31)).count == 1)
    }

    /// a wall clock that stepped back makes due times look far ahead; they are bounded.
    @Test(arguments: StoreKind.allCases)
    func dueTimesBeyondTheLongestBackoffAreBrought(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        _ = try await f.store.insertSession(f.session("a"), now: f.now)
        // Recorded at a wall time two hours "later" than the clock now shows.
        _ = try await f.store.recordLogout(f.logout(), now: f.now + .seconds(7200))
        #expect(try await f.store.boundDueTimes(now: f.now, latest: .seconds(3600)) == 1)
        #expect(try await f.store.nextDueAt() == f.now + .seconds(3600))
        #expect(try await f.store.boundDueTimes(now: f.now, latest: .seconds(3600)) == 0)
    }

    // MARK: Registry (SEC-5)

    @Test(arguments: StoreKind.allCases)
    func oneIssOneRegistrationAndSessionsGoWithTheirIssuer(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        await #expect(throws: RegistryError.self) {
            try await f.store.insertIssuer(StoreFixture.issuer("app", iss: "https://idp", source: .sharedSecret))
        }
        await #expect(throws: RegistryError.conflict("an issuer named idp already exists")) {
            try await f.store.insertIssuer(StoreFixture.issuer("idp", iss: "https://other"))
        }
        try await f.store.insertRelyingParty(f.rp("a"))
        let session = try await f.store.insertSession(f.session("a", sid: "s"), now: f.now)
        #expect(session.issuerName == "idp" && session.issuer == "https://idp")
        #expect(try await f.store.sessions(SessionQuery(issuer: "https://idp")).map(\.id) == [session.id])
        #expect(try await f.store.sessions(SessionQuery(issuer: "idp")).map(\.id) == [session.id])
        try await f.store.deleteIssuer(named: "idp")
        #expect(try await f.store.sessions(SessionQuery(includeEnded: true)).isEmpty)
        await #expect(throws: RegistryError.notFound("no issuer named idp")) {
            try await f.store.insertSession(f.session("a"), now: f.now)
        }
    }

    @Test(arguments: StoreKind.allCases)
    func relyingPartiesAreReplacedAndRemovedWithTheirWaitingDeliveries(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertRelyingParty(f.rp("a"))
        await #expect(throws: RegistryError.self) { try await f.store.insertRelyingParty(f.rp("a")) }
        var changed = f.rp("a")
        changed.relyingParty.backchannelLogoutURI = "https://rp.example/other"
        try await f.store.replaceRelyingParty(changed)
        #expect(
            try await f.store.relyingParty(clientID: "a")?.relyingParty.backchannelLogoutURI
                == "https://rp.example/other"
        )
        await #expect(throws: RegistryError.notFound("no RP with client_id b")) {
            try await f.store.replaceRelyingParty(f.rp("b"))
        }
        _ = try await f.store.insertSession(f.session("a"), now: f.now)
        _ = try await f.store.recordLogout(f.logout(), now: f.now)
        try await f.store.deleteRelyingParty(clientID: "a")
        let deliveries = try await f.store.deliveries(DeliveryQuery())
        #expect(deliveries.map(\.status) == [.failed] && deliveries.first?.reason == "the RP was removed")
    }

    // MARK: Maintenance

    @Test(arguments: StoreKind.allCases)
    func purgeKeepsEachKindOfRecordForItsRetention(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        _ = f.store.enqueueRejection(f.rejection(), now: f.now)
        try await f.store.flushRejections()
        _ = try await f.store.recordLogout(f.logout(), now: f.now)
        let eightDays = try await f.store.purge(
            now: f.now + .seconds(8 * 86_400),
            retention: .seconds(30 * 86_400),
            rejectedRetention: .seconds(7 * 86_400)
        )
        #expect(eightDays.rejectedEvents == 1 && eightDays.events == 0 && eightDays.replayRecords == 1)
        #expect(try await f.store.events(EventQuery()).map(\.outcome) == [.accepted])
        let later = try await f.store.purge(
            now: f.now + .seconds(31 * 86_400),
            retention: .seconds(30 * 86_400),
            rejectedRetention: .seconds(7 * 86_400)
        )
        #expect(later.events == 1)
        // The replay record is gone, so the same jti is accepted again (the token itself would be too old by now).
        guard case .accepted = try await f.store.recordLogout(f.logout(), now: f.now + .seconds(3600)) else {
            Issue.record("replay record not purged")
            return
        }
    }

    /// SEC-6: secrets sealed before they were bound to their row are re-sealed, once.
    @Test(arguments: StoreKind.allCases)
    func sealedSecretsAreBoundOnce(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertIssuer(StoreFixture.issuer("app", iss: "https://app", source: .sharedSecret))
        let seen = try await f.store.bindSealedSecretsIfNeeded { field, sealed in
            #expect(field == .issuerSharedSecret("app") && sealed == [1, 2, 3])
            return [9, 9]
        }
        #expect(seen == 1)
        #expect(try await f.store.issuer(named: "app")?.sealedSharedSecret == [9, 9])
        #expect(try await f.store.bindSealedSecretsIfNeeded { _, sealed in sealed } == nil)
        #expect(await f.store.isReadable())
    }
}
