import Foundation
import GRDB
import LogoutCore
import TestSupport
import Testing

@testable import LogoutStorage

/// Schema v15 (issue 24): the intake keeps the RPs that follow every subject as decoded last,
/// and the claim the enabled RPs, and decode them again only when a value that triggers change
/// on every write to `relying_parties` differs. Each logout and claim below would use a stale
/// list if any write to the table failed to change that value.
@Suite struct RegistryCacheTests {
    /// The logout's deliveries, and those recorded as skipped (a disabled RP).
    static func fanOut(_ f: StoreFixture, _ jti: String) async throws -> (deliveries: Int, skipped: [String]) {
        let recorded = try await f.store.recordLogout(f.logout(sub: "u-\(jti)", jti: jti, hash: jti), now: f.now)
        guard case .accepted(_, let deliveries, let skipped, _) = recorded else {
            Issue.record("not accepted: \(recorded)")
            return (0, [])
        }
        return (deliveries, skipped)
    }

    @Test func everyWriteToTheRegistryIsSeenByTheNextLogout() async throws {
        let f = try await StoreFixture.make(.sqlite)
        try await f.store.insertRelyingParty(f.rp("a", subjects: .all, issuers: ["idp"]))
        #expect(try await Self.fanOut(f, "1") == (1, []))
        #expect(try await Self.fanOut(f, "2") == (1, []), "the list read from the cache")
        try await f.store.insertRelyingParty(f.rp("b", subjects: .all, issuers: ["idp"]))
        #expect(try await Self.fanOut(f, "3") == (2, []), "an RP added")
        try await f.store.replaceRelyingParty(f.rp("b", subjects: .registered, issuers: ["idp"]))
        #expect(try await Self.fanOut(f, "4") == (1, []), "an RP changed")
        try await f.store.deleteRelyingParty(clientID: "a")
        #expect(try await Self.fanOut(f, "5") == (0, []), "an RP removed")
    }

    /// Another connection (an admin with `sqlite3`) writes the table: no write path of this
    /// process is involved, and the next logout still sees it.
    @Test func aWriteByAnotherConnectionIsSeenToo() async throws {
        let f = try await StoreFixture.make(.sqlite)
        try await f.store.insertRelyingParty(f.rp("a", subjects: .all, issuers: ["idp"]))
        #expect(try await Self.fanOut(f, "1") == (1, []))
        let other = try DatabaseQueue(path: f.folder.file("db.sqlite3"))
        try await other.write { db in try db.execute(sql: "UPDATE relying_parties SET enabled = 0") }
        try other.close()
        #expect(try await Self.fanOut(f, "2") == (1, ["a"]), "a disabled RP is recorded as skipped")
    }

    /// A claim sees an RP's new address, and no longer claims for an RP disabled by another
    /// connection; its breaker is read fresh on every claim.
    @Test func everyRegistryChangeIsSeenByTheNextClaim() async throws {
        let f = try await StoreFixture.make(.sqlite)
        try await f.store.insertRelyingParty(f.rp("a", subjects: .all, issuers: ["idp"]))
        _ = try await Self.fanOut(f, "1")
        #expect(try await f.store.claimDue(f.claim(), now: f.now).map(\.uri) == ["http://127.0.0.1:1/a"])
        var moved = f.rp("a", subjects: .all, issuers: ["idp"])
        moved.relyingParty.backchannelLogoutURI = "http://127.0.0.1:2/moved"
        try await f.store.replaceRelyingParty(moved)
        _ = try await Self.fanOut(f, "2")
        #expect(try await f.store.claimDue(f.claim(), now: f.now).map(\.uri) == ["http://127.0.0.1:2/moved"])
        _ = try await Self.fanOut(f, "3")
        let other = try DatabaseQueue(path: f.folder.file("db.sqlite3"))
        try await other.write { db in try db.execute(sql: "UPDATE relying_parties SET enabled = 0") }
        #expect(try await f.store.claimDue(f.claim(), now: f.now).isEmpty, "a disabled RP's delivery was claimed")
        try await other.write { db in try db.execute(sql: "UPDATE relying_parties SET enabled = 1") }
        #expect(try await f.store.claimDue(f.claim(), now: f.now).count == 1, "an RP enabled again")
        // An open breaker, written behind the registry's back: the registry's version does not
        // change, and the next claim, which takes its RPs from the cache, must still see it.
        try await other.write { db in
            try db.execute(
                sql: """
                    INSERT INTO breakers (client_id, state, consecutive_failures, since, next_probe_at, failed_probes)
                    VALUES ('a', 'open', 5, ?, ?, 0)
                    """,
                arguments: [f.now.millisecondsSince1970, (f.now + .seconds(60)).millisecondsSince1970]
            )
        }
        try other.close()
        _ = try await Self.fanOut(f, "4")
        #expect(try await f.store.claimDue(f.claim(), now: f.now).isEmpty, "an RP whose breaker is open was claimed")
        // Four are due by then (two leases ran out): the open breaker lets one probe through.
        #expect(
            try await f.store.claimDue(f.claim(), now: f.now + .seconds(61)).count == 1,
            "not exactly one probe once the breaker's probe is due"
        )
    }

    /// The value changes on insert, update and delete, and never repeats a value a rolled-back
    /// transaction reached (a count would: the next change would take it there again).
    @Test func theVersionChangesOnEveryWriteAndIsNotACount() async throws {
        let f = try await StoreFixture.make(.sqlite)
        let db = try #require(f.store as? LogoutDatabase)
        func version() async throws -> Int64? {
            try await db.pool.read { try Int64.fetchOne($0, sql: "SELECT version FROM registry_version") }
        }
        var seen = [try await version()]
        try await f.store.insertRelyingParty(f.rp("a", subjects: .all, issuers: ["idp"]))
        seen.append(try await version())
        try await f.store.replaceRelyingParty(f.rp("a", subjects: .registered, issuers: ["idp"]))
        seen.append(try await version())
        let rolledBack = try await db.pool.write { db -> Int64? in
            try db.execute(sql: "SAVEPOINT s; UPDATE relying_parties SET enabled = 0")
            let reached = try Int64.fetchOne(db, sql: "SELECT version FROM registry_version")
            try db.execute(sql: "ROLLBACK TO s; RELEASE s")
            return reached
        }
        try await f.store.replaceRelyingParty(f.rp("a", subjects: .all, issuers: ["idp"]))
        seen.append(try await version())
        try await f.store.deleteRelyingParty(clientID: "a")
        seen.append(try await version())
        #expect(Set(seen.compactMap { $0 }).count == 5, "\(seen)")
        #expect(!seen.contains(rolledBack), "a rolled-back value was reached again")
    }
}
