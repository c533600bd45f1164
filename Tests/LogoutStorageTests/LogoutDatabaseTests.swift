import Foundation
import GRDB
import LogoutCore
import LogoutStorage
import TestSupport
import Testing

@Suite struct LogoutDatabaseTests {
    let directory = TemporaryDirectory()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The database with the issuer `idp` (iss `https://idp`) registered.
    func open() async throws -> LogoutDatabase {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"), busyTimeout: 0.2)
        if try await db.issuer(named: "idp") == nil {
            try await db.insertIssuer(issuer("idp", iss: "https://idp"))
        }
        return db
    }

    func issuer(_ name: String, iss: String) -> StoredIssuer {
        StoredIssuer(
            issuer: Issuer(
                name: name,
                issuer: iss,
                audience: "logoutd",
                keySource: .jwksURI("https://\(name).example/jwks"),
                algorithms: [.es256],
                createdAt: now
            )
        )
    }

    func rp(_ id: String, subjects: RelyingParty.Subjects = .registered, issuers: [String] = []) -> StoredRelyingParty {
        StoredRelyingParty(
            relyingParty: RelyingParty(
                clientID: id,
                backchannelLogoutURI: "http://127.0.0.1:1/\(id)",
                subjects: subjects,
                issuers: issuers,
                createdAt: now,
                updatedAt: now
            )
        )
    }

    func logout(sub: String? = "u", sid: String? = nil, jti: String? = "j", hash: String = "h") -> AcceptedLogout {
        AcceptedLogout(
            request: LogoutRequest(source: "idp", issuerName: "idp", sub: sub, sid: sid),
            iss: "https://idp",
            jti: jti,
            replay: jti.map {
                ReplayKey(issuerName: "idp", key: $0, tokenHash: hash, expiresAt: now.addingTimeInterval(720))
            },
            tokenHash: hash,
            clientAddress: "127.0.0.1"
        )
    }

    func session(_ rp: String, sub: String = "u", sid: String? = nil) -> NewSession {
        NewSession(
            issuerName: "idp",
            sub: sub,
            sid: sid,
            clientID: rp,
            rpSub: "rp-" + sub,
            rpSid: sid.map { "rp-" + $0 },
            expiresAt: nil
        )
    }

    @Test func recordsEventDeliveriesAndEndsSessionsInOneStep() async throws {
        let db = try await open()
        try await db.insertRelyingParty(rp("a"))
        try await db.insertRelyingParty(rp("b"))
        _ = try await db.insertSession(session("a", sid: "s1"), now: now)
        _ = try await db.insertSession(session("b"), now: now)
        let result = try await db.recordLogout(logout(), now: now)
        guard case .accepted(let eventID, 2) = result else {
            Issue.record("unexpected \(result)")
            return
        }
        let deliveries = try await db.deliveries(DeliveryFilter(eventID: eventID))
        #expect(Set(deliveries.map(\.clientID)) == ["a", "b"])
        #expect(deliveries.allSatisfy { $0.status == .pending && $0.nextAttemptAt != nil })
        #expect(deliveries.first { $0.clientID == "a" }?.sid == "rp-s1")
        #expect(try await db.sessions(SessionFilter()).isEmpty)
        // The sessions ended: a second logout of the same subject finds none.
        guard case .accepted(_, 0) = try await db.recordLogout(logout(jti: "j2", hash: "h2"), now: now) else {
            Issue.record("second logout fanned out again")
            return
        }
    }

    @Test func sameJTISameTokenIsADuplicateOtherTokenIsAConflict() async throws {
        let db = try await open()
        guard case .accepted(let first, _) = try await db.recordLogout(logout(), now: now) else {
            Issue.record("not accepted")
            return
        }
        #expect(try await db.recordLogout(logout(), now: now) == .duplicate(originalEventID: first))
        #expect(try await db.recordLogout(logout(hash: "other"), now: now) == .replayConflict)
        let outcomes = try await db.events(EventFilter()).map(\.outcome)
        #expect(outcomes == [.rejected, .duplicate, .accepted])
    }

    @Test func concurrentLogoutsShareCommitsAndAllLand() async throws {
        let db = try await open()
        try await db.insertRelyingParty(rp("a"))
        for index in 0..<200 { _ = try await db.insertSession(session("a", sub: "u\(index)"), now: now) }
        try await withThrowingTaskGroup(of: RecordedLogout.self) { group in
            for index in 0..<200 {
                group.addTask {
                    try await db.recordLogout(logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"), now: now)
                }
            }
            for try await result in group {
                guard case .accepted(_, 1) = result else {
                    Issue.record("unexpected \(result)")
                    continue
                }
            }
        }
        #expect(try await db.deliveries(DeliveryFilter(limit: 1000)).count == 200)
        #expect(try await db.events(EventFilter(limit: 1000)).count == 200)
    }

    @Test func claimsRespectPerRPLimitsAndLeaseUntilTheAttemptIsRecorded() async throws {
        let db = try await open()
        try await db.insertRelyingParty(rp("a"))
        try await db.insertRelyingParty(rp("b"))
        for index in 0..<10 {
            _ = try await db.insertSession(session("a", sub: "u\(index)"), now: now)
            _ = try await db.insertSession(session("b", sub: "u\(index)"), now: now)
            _ = try await db.recordLogout(logout(sub: "u\(index)", jti: "j\(index)", hash: "h\(index)"), now: now)
        }
        let claimed = try await db.claimDue(
            now: now,
            leaseSeconds: 40,
            limit: 100,
            available: ["a": 1],
            defaultAvailable: 3,
            rotation: 0
        )
        #expect(claimed.filter { $0.clientID == "a" }.count == 1)
        #expect(claimed.filter { $0.clientID == "b" }.count == 3)
        // Leased deliveries are not claimed twice while the lease runs.
        let again = try await db.claimDue(
            now: now,
            leaseSeconds: 40,
            limit: 100,
            available: [:],
            defaultAvailable: 100,
            rotation: 0
        )
        #expect(Set(again.map(\.id)).isDisjoint(with: claimed.map(\.id)))
        #expect(again.count == 16)
        // An expired lease is taken again: at least once, never lost.
        let later = try await db.claimDue(
            now: now.addingTimeInterval(41),
            leaseSeconds: 40,
            limit: 100,
            available: [:],
            defaultAvailable: 100,
            rotation: 0
        )
        #expect(later.count == 20)
        // Releasing all leases at start makes everything due at once.
        #expect(try await db.releaseAllLeases(now: now) == 20)
    }

    @Test func recordingAnAttemptStoresTheTransitionAndTheLog() async throws {
        let db = try await open()
        try await db.insertRelyingParty(rp("a"))
        _ = try await db.insertSession(session("a"), now: now)
        _ = try await db.recordLogout(logout(), now: now)
        let claimed = try await db.claimDue(
            now: now,
            leaseSeconds: 40,
            limit: 10,
            available: [:],
            defaultAvailable: 8,
            rotation: 0
        )
        let delivery = try #require(claimed.first)
        var generator = SystemRandomNumberGenerator()
        let transition = DeliveryTransition.afterAttempt(
            .response(HTTPAnswer(status: 503)),
            attemptsBefore: 0,
            createdAt: now.timeIntervalSince1970,
            finishedAt: now.timeIntervalSince1970 + 1,
            policy: RetryPolicy(),
            using: &generator
        )
        let attempt = AttemptRecord(
            deliveryID: delivery.id,
            attempt: 1,
            startedAt: now,
            durationMilliseconds: 12,
            statusCode: 503,
            errorClass: .http5xx,
            jti: "minted",
            rpError: nil,
            nextAttemptAt: nil
        )
        try await db.recordAttempt(AttemptReport(deliveryID: delivery.id, attempt: attempt, transition: transition))
        let (record, attempts) = try #require(try await db.delivery(id: delivery.id))
        #expect(record.status == .retrying && record.attempts == 1 && record.lastStatusCode == 503)
        #expect(attempts.map(\.jti) == ["minted"])
        #expect(try await db.retryDelivery(id: delivery.id, now: now) == .queued)
    }

    @Test func aLockHeldElsewhereFailsTheWriteInsteadOfAcknowledging() async throws {
        let db = try await open()
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // this connection keeps its transaction open on purpose
        let other = try DatabaseQueue(path: directory.file("db.sqlite3"), configuration: configuration)
        try await other.writeWithoutTransaction { connection in
            try connection.execute(sql: "BEGIN EXCLUSIVE")
        }
        await #expect(throws: (any Error).self) { try await db.recordLogout(logout(), now: now) }
        try await other.writeWithoutTransaction { connection in try connection.execute(sql: "ROLLBACK") }
        _ = try await db.recordLogout(logout(), now: now)
    }

    @Test func purgeRemovesExpiredReplayRecordsAndOldEvents() async throws {
        let db = try await open()
        _ = try await db.recordLogout(logout(), now: now)
        let counts = try await db.purge(now: now.addingTimeInterval(3600), retentionCutoff: now.addingTimeInterval(1))
        #expect(counts.replayRecords == 1 && counts.events == 1)
        // The replay record is gone, so the same jti is accepted again (the token itself would be too old by now).
        guard case .accepted = try await db.recordLogout(logout(), now: now.addingTimeInterval(3600)) else {
            Issue.record("replay record not purged")
            return
        }
    }
}
