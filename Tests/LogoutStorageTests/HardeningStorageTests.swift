import Foundation
import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// Storage's part of the hardening issue: bounded rejections, one registration per iss, the
/// schema v2 migration, and the one-time binding of sealed secrets.
@Suite struct HardeningStorageTests {
    let directory = TemporaryDirectory()
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func issuer(_ name: String, iss: String, source: Issuer.KeySource = .jwksURI("https://x/jwks")) -> StoredIssuer {
        StoredIssuer(
            issuer: Issuer(
                name: name,
                issuer: iss,
                audience: "logoutd",
                keySource: source,
                algorithms: source == .sharedSecret ? [.hs256] : [.es256],
                createdAt: now
            ),
            sealedSharedSecret: source == .sharedSecret ? [1, 2, 3] : nil
        )
    }

    func rejection(_ index: Int, source: String = "unknown") -> RejectedLogout {
        RejectedLogout(
            source: source,
            iss: String(repeating: "i", count: 20_000),
            sub: "sub\(index)\u{0}",
            sid: nil,
            jti: String(repeating: "j", count: 5_000),
            tokenHash: "0123456789abcdef",
            reason: "IN-3: " + String(repeating: "r", count: 20_000),
            clientAddress: "192.0.2.7"
        )
    }

    /// SEC-5: a second registration of the same iss is a conflict, whatever its key source.
    @Test func oneIssOneRegistration() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        try await db.insertIssuer(issuer("idp", iss: "https://idp.example"))
        await #expect(throws: LogoutDatabase.RegistryError.self) {
            try await db.insertIssuer(issuer("app", iss: "https://idp.example", source: .sharedSecret))
        }
        #expect(try await db.issuers().map(\.issuer.name) == ["idp"])
    }

    /// SEC-4: a rejected request costs a bounded number of bytes, however large its fields.
    @Test func rejectionsAreStoredBoundedAndPrintable() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        #expect(db.enqueueRejection(rejection(1), now: now))
        try await db.flushRejections()
        let event = try #require(try await db.events(EventFilter()).first)
        #expect(event.outcome == .rejected && event.source == "unknown")
        #expect((event.iss?.count ?? 0) <= 257 && (event.jti?.count ?? 0) <= 257)
        #expect(event.sub == "sub1?")
        #expect((event.reason?.count ?? 0) <= 301)
    }

    @Test func theQueueOfRejectionsIsBoundedAndCountsWhatItDrops() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        var accepted = 0
        let entry = rejection(0)
        for _ in 0..<5000 where db.enqueueRejection(entry, now: now) { accepted += 1 }
        #expect(accepted == 4096)
        #expect(db.takeDroppedRejections() == 904)
        #expect(db.takeDroppedRejections() == 0)
        while db.committer.pendingBackgroundItems > 0 { try await db.flushRejections() }
        #expect(try await db.events(EventFilter(limit: 1000)).count == 1000)
    }

    /// Rejections ride along in an acknowledged logout's commit instead of taking one of their own.
    @Test func rejectionsRideAlongInTheNextCommit() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        try await db.insertIssuer(issuer("idp", iss: "https://idp"))
        for index in 0..<10 { db.enqueueRejection(rejection(index), now: now) }
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
        #expect(try await db.events(EventFilter(outcome: .rejected)).count == 10)
    }

    @Test func rejectedEventsHaveTheirOwnShorterRetention() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        try await db.insertIssuer(issuer("idp", iss: "https://idp"))
        db.enqueueRejection(rejection(1), now: now)
        try await db.flushRejections()
        _ = try await db.recordLogout(
            AcceptedLogout(
                request: LogoutRequest(source: "idp", issuerName: "idp", sub: "u", sid: nil),
                iss: "https://idp",
                jti: nil,
                replay: nil,
                tokenHash: nil,
                clientAddress: nil
            ),
            now: now
        )
        let later = now.addingTimeInterval(8 * 86_400)
        let counts = try await db.purge(
            now: later,
            retentionCutoff: later.addingTimeInterval(-30 * 86_400),
            rejectedCutoff: later.addingTimeInterval(-7 * 86_400)
        )
        #expect(counts.rejectedEvents == 1 && counts.events == 0)
        #expect(try await db.events(EventFilter()).map(\.outcome) == [.accepted])
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
        let sessions = try await db.sessions(SessionFilter(includeEnded: true))
        // The session goes to the registration with keys, not the shared-secret one that shared its iss.
        #expect(sessions.map(\.id) == [1])
        #expect(sessions.first?.issuerName == "idp" && sessions.first?.issuer == "https://idp")
        #expect(try await db.events(EventFilter()).map(\.id) == [7])
        #expect(try await db.issuersSharingAnIss() == [["app", "idp"]])
        // An issuer removed takes its sessions along: no other registration can claim them.
        try await db.deleteIssuer(named: "idp")
        #expect(try await db.sessions(SessionFilter(includeEnded: true)).isEmpty)
    }

    /// SEC-6: secrets sealed before v2 are re-sealed bound to their row, once.
    @Test func sealedSecretsAreBoundOnce() async throws {
        let db = try LogoutDatabase(path: directory.file("db.sqlite3"))
        try await db.insertIssuer(issuer("app", iss: "https://app", source: .sharedSecret))
        let seen = try await db.bindSealedSecretsIfNeeded { field, sealed in
            #expect(field == .issuerSharedSecret("app") && sealed == [1, 2, 3])
            return [9, 9]
        }
        #expect(seen == 1)
        #expect(try await db.issuer(named: "app")?.sealedSharedSecret == [9, 9])
        #expect(try await db.bindSealedSecretsIfNeeded { _, sealed in sealed } == nil)
    }
}
