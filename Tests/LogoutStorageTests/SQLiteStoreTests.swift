import Foundation
import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// What only SQLite does: its group commit, its migrations, its file lock.
@Suite struct SQLiteStoreTests {
    let directory = TemporaryDirectory()
    let now = StoreFixture.now

    func open() async throws -> (StoreFixture, LogoutDatabase) {
        let fixture = try await StoreFixture.make(.sqlite)
        return (fixture, fixture.store as! LogoutDatabase)
    }

    /// Rejections ride along in an acknowledged logout's commit instead of taking one of their own.
    @Test func rejectionsRideAlongInTheNextCommit() async throws {
        let (f, db) = try await open()
        for index in 0..<10 { db.enqueueRejection(f.rejection(index), now: now) }
        _ = try await db.recordLogout(
            AcceptedLogout(
                request: LogoutRequest(source: "idp", issuerName: "idp", sub: "u", sid: nil),
                iss: "https://idp",
                jti: "j",
                replay: nil,
                tokenHash: "h",
                clientAddress: nil
            ),
            now: now
        )
        #expect(db.committer.pendingBackgroundItems == 0)
        #expect(try await db.events(EventQuery(outcome: .rejected)).count == 10)
    }

    /// BR-8: an ended session keeps none of its upstream tokens, in any column; a revoked token
    /// leaves no bytes behind in its revocation either.
    @Test func anEndedSessionKeepsNoTokenAndARevokedOneIsGone() async throws {
        let f = try await RevocationStoreTests.fixture(.sqlite)
        let db = f.store as! LogoutDatabase
        _ = try await db.insertSession(RevocationStoreTests.session(issuer: "rev", refresh: [1], access: [2]), now: now)
        _ = try await db.recordLogout(RevocationStoreTests.logout(issuer: "rev", jti: "1"), now: now)
        let stored = try await db.pool.read { db in
            try Int.fetchOne(
                db,
                sql:
                    "SELECT COUNT(*) FROM sessions WHERE id_token IS NOT NULL OR access_token IS NOT NULL OR refresh_token IS NOT NULL"
            )
        }
        #expect(stored == 0)
        let claimed = try await db.claimDueRevocations(limit: 1, lease: .seconds(30), now: now)
        try await db.recordRevocation(
            id: try #require(claimed.first?.id),
            RevocationTransition(status: .revoked, attempts: 1, lastStatusCode: 200, finishedAt: now)
        )
        let tokens = try await db.pool.read { db in
            try Bool.fetchAll(db, sql: "SELECT token IS NOT NULL FROM revocations ORDER BY id")
        }
        #expect(tokens == [false, true], "the revoked refresh token is erased; the access token waits")
    }

    /// a logout and an admin's change are committed with the fsync; only queue work (the
    /// claims and outcomes of deliveries and revocations, the SSF fan-out's passes) is committed
    /// without it, and none of it outside the group commit, where it would hold the writer and
    /// its own fsync in front of an acknowledgement unseen (an SSF pass once did).
    @Test func onlyQueueWorkSkipsTheFsync() async throws {
        let f = try await RevocationStoreTests.fixture(.sqlite)
        let db = f.store as! LogoutDatabase
        _ = try await db.insertSession(RevocationStoreTests.session(issuer: "rev", refresh: [1], access: nil), now: now)
        var before = db.committer.committedBatches
        func expectBatches(onDisk: Int, redeliverable: Int, _ what: String, atLeast: Bool = false) {
            let after = db.committer.committedBatches
            let fsynced = after.onDisk - before.onDisk
            #expect(atLeast ? fsynced >= onDisk : fsynced == onDisk, "\(what): batches with the fsync")
            #expect(after.redeliverable - before.redeliverable == redeliverable, "\(what): batches without it")
            before = after
        }
        _ = try await db.recordLogout(RevocationStoreTests.logout(issuer: "rev", jti: "1"), now: now)
        await db.fanOutExpansionSettled()
        expectBatches(onDisk: 1, redeliverable: 1, "a logout, and the delivery rows made from its plan after it")
        #expect(try await db.fanOutSecurityEvents(limit: 10, now: now) { _, _ in [] } == 1)
        expectBatches(onDisk: 0, redeliverable: 1, "the SSF fan-out's pass over that logout")
        let request = ClaimRequest(limit: 10, available: [:], defaultAvailable: 10, rotation: 0, lease: .seconds(30))
        let delivery = try #require(try await db.claimDue(request, now: now).first)
        try await db.recordAttempt(
            AttemptReport(
                deliveryID: delivery.id,
                clientID: delivery.clientID,
                attempt: nil,
                transition: .skipped(attempts: 0, reason: "test", at: now)
            )
        )
        expectBatches(onDisk: 0, redeliverable: 2, "a delivery's claim and outcome")
        let revocation = try #require(try await db.claimDueRevocations(limit: 1, lease: .seconds(30), now: now).first)
        try await db.recordRevocation(
            id: revocation.id,
            RevocationTransition(status: .revoked, attempts: 1, lastStatusCode: 200, finishedAt: now)
        )
        expectBatches(onDisk: 0, redeliverable: 2, "a revocation's claim and outcome")
        #expect(try await db.retryDelivery(id: delivery.id, now: now) == .queued)
        expectBatches(onDisk: 1, redeliverable: 0, "an admin's retry")
        _ = try await db.skipWaitingDeliveries(clientID: delivery.clientID, reason: "test", now: now)
        _ = try await db.recoverDeliveries(clientID: delivery.clientID, since: now, now: now)
        _ = try await db.retryRevocation(id: revocation.id, now: now)
        _ = try await db.boundDueTimes(now: now, latest: .seconds(3600))
        // A skip and a recovery take a turn (an fsync'd commit) for each status they change,
        // however few rows there are: pending and retrying, failed and skipped; a turn that a
        // loaded machine keeps past its time takes one more.
        expectBatches(
            onDisk: 6,
            redeliverable: 0,
            "an admin's skip, recovery, revocation retry; the clock's bound",
            atLeast: true
        )
    }

    /// Schema v2 moves sessions from a free iss string to a registered issuer (SEC-5).
    @Test func theV2MigrationAttachesSessionsToARegistration() async throws {
        let path = directory.file("old.sqlite3")
        do {
            let queue = try DatabaseQueue(path: path)
            try await queue.write { db in
                try db.execute(sql: Migrations.v1)
                try db.execute(
                    sql: """
                        CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
                        INSERT INTO grdb_migrations VALUES ('v1');
                        INSERT INTO issuers (name, issuer, audience, key_source, jwks_uri, algorithms, typ_policy,
                            require_exp, created_at)
                            VALUES ('idp', 'https://idp', 'a', 'jwks_uri', 'https://idp/jwks', '["ES256"]', 'default',
                            1, 2);
                        INSERT INTO issuers (name, issuer, audience, key_source, shared_secret, algorithms, typ_policy,
                            require_exp, created_at)
                            VALUES ('app', 'https://idp', 'a', 'shared_secret', x'00', '["HS256"]', 'default', 0, 1);
                        INSERT INTO relying_parties (client_id, backchannel_logout_uri, signing_alg, subjects,
                            created_at, updated_at) VALUES ('rp', 'https://rp/bcl', 'ES256', 'registered', 1, 1);
                        INSERT INTO sessions (id, issuer, sub, sid, client_id, rp_sub, created_at)
                            VALUES (1, 'https://idp', 'alice', 's1', 'rp', 'alice', 1);
                        INSERT INTO sessions (id, issuer, sub, client_id, rp_sub, created_at)
                            VALUES (2, 'https://nobody', 'bob', 'rp', 'bob', 1);
                        INSERT INTO events (id, received_at, source, outcome, deliveries) VALUES (7, 1, 'idp', 'accepted', 0);
                        """
                )
            }
            try queue.close()
        }
        let db = try LogoutDatabase(path: path)
        let sessions = try await db.sessions(SessionQuery(includeEnded: true))
        // The session goes to the registration with keys, not the shared-secret one that shared its iss.
        #expect(sessions.map(\.id) == [1])
        #expect(sessions.first?.issuerName == "idp" && sessions.first?.issuer == "https://idp")
        #expect(try await db.events(EventQuery()).map(\.id) == [7])
        #expect(try await db.issuersSharingAnIss() == [["app", "idp"]])
        // An issuer removed takes its sessions along: no other registration can claim them.
        try await db.deleteIssuer(named: "idp")
        #expect(try await db.sessions(SessionQuery(includeEnded: true)).isEmpty)
    }

    /// IN-17 at the store: a logout whose COMMIT fails (a trigger breaks a deferred foreign key
    /// for one subject, which only the COMMIT checks) is not recorded, nor is any logout that
    /// shared its transaction, and none of them is answered as recorded; every logout answered
    /// as recorded is there.
    @Test func aFailedCommitAnswersNoLogoutOfItsTransaction() async throws {
        var shared = false
        for _ in 0..<10 where !shared {
            let (f, db) = try await open()
            try await db.pool.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE poison_parents (id INTEGER PRIMARY KEY);
                        CREATE TABLE poison (parent INTEGER REFERENCES poison_parents(id) DEFERRABLE INITIALLY DEFERRED);
                        CREATE TRIGGER poison_commit AFTER INSERT ON events WHEN NEW.sub = 'poison'
                        BEGIN INSERT INTO poison (parent) VALUES (1); END;
                        """
                )
            }
            let subjects = (0..<40).map { $0 == 20 ? "poison" : "u\($0)" }
            let results = await withTaskGroup(of: (String, Bool).self) { group in
                for (index, sub) in subjects.enumerated() {
                    group.addTask {
                        let recorded = try? await db.recordLogout(
                            f.logout(sub: sub, jti: "j\(index)", hash: "h\(index)"),
                            now: now
                        )
                        guard case .accepted = recorded else { return (sub, false) }
                        return (sub, true)
                    }
                }
                var results: [String: Bool] = [:]
                for await (sub, recorded) in group { results[sub] = recorded }
                return results
            }
            #expect(results["poison"] == false)
            let stored = Set(try await db.events(EventQuery(limit: 1000)).map { $0.sub ?? "" })
            #expect(stored == Set(results.filter(\.value).keys), "answered as recorded and stored differ")
            // When the poison shared its transaction, its neighbours failed with it.
            shared = results.contains { $0.key != "poison" && !$0.value }
        }
        #expect(shared, "the failing logout never shared its transaction with another")
    }

    /// A write that cannot get the lock fails (the notifier gets 503) instead of acknowledging.
    @Test func aLockHeldElsewhereFailsTheWriteInsteadOfAcknowledging() async throws {
        let (f, db) = try await open()
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true  // this connection keeps its transaction open on purpose
        let other = try DatabaseQueue(path: db.path, configuration: configuration)
        try await other.writeWithoutTransaction { connection in
            try connection.execute(sql: "BEGIN EXCLUSIVE")
        }
        await #expect(throws: DatabaseError.self) { try await db.recordLogout(f.logout(), now: now) }
        try await other.writeWithoutTransaction { connection in try connection.execute(sql: "ROLLBACK") }
        _ = try await db.recordLogout(f.logout(), now: now)
    }
}
