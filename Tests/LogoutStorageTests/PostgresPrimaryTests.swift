import Foundation
import Logging
import LogoutCore
import TestSupport
import Testing

@testable import LogoutPostgres

/// A primary and its standby named in `database.url` (`target_session_attrs=read-write`): the
/// store uses the server that accepts writes, whatever the order, and says so when none does.
/// The failover itself, with replicas and a burst, is `FaultsEndToEndTests`'s.
@Suite(.serialized, .enabled(if: TestPostgres.isAvailable, "needs PostgreSQL"))
struct PostgresPrimaryTests {
    func location(_ urls: [String]) throws -> PostgresLocation {
        let endpoints = try urls.map { url in
            PostgresLocation.Endpoint(host: "127.0.0.1", port: try #require(URLComponents(string: url)?.port))
        }
        return PostgresLocation(
            host: endpoints[0].host,
            port: endpoints[0].port,
            user: "logoutd",
            database: "postgres",
            tls: .disable,
            alternates: Array(endpoints.dropFirst()),
            requiresPrimary: true
        )
    }

    /// A primary and its synchronous standby, removed when `body` returns.
    func withPrimaryAndStandby(
        _ body: (TestPostgres.PrivateCluster, TestPostgres.PrivateCluster) async throws -> Void
    ) async throws {
        let primary = try await TestPostgres.privateCluster()
        let standby = try await primary.standby()
        defer {
            Task {
                await standby.stop()
                await primary.stop()
            }
        }
        try await body(primary, standby)
    }

    @Test func aStandbyNamedFirstIsPassedOverForThePrimary() async throws {
        try await withPrimaryAndStandby { primary, standby in
            let named = try location([standby.url, primary.url])
            let logger = Logger(label: "test")
            let checked = try await PostgresStore.check(named, password: nil, timeout: .seconds(5), logger: logger)
            #expect(checked.contains("primary \(named.alternates[0].address)"), "\(checked)")
            let store = try await PostgresStore.open(named, password: nil, owner: "r", logger: logger)
            defer { store.close() }
            #expect(store.pools.endpoint == named.alternates[0])
            try await store.insertIssuer(StoreFixture.issuer("idp", iss: "https://idp"))
            #expect(try await store.issuers().map(\.issuer.name) == ["idp"])
        }
    }

    /// The primary dies, the standby is promoted: the store's writes fail meanwhile, then
    /// succeed on the promoted standby, with no restart; what was committed before is there.
    @Test func aStoreFollowsAPromotedStandby() async throws {
        try await withPrimaryAndStandby { primary, standby in
            let named = try location([primary.url, standby.url])
            let store = try await PostgresStore.open(
                named,
                password: nil,
                owner: "r",
                operationTimeout: .seconds(2),
                logger: Logger(label: "test")
            )
            defer { store.close() }
            try await store.insertIssuer(StoreFixture.issuer("before", iss: "https://before"))
            try await primary.control("kill")
            await #expect(throws: (any Error).self) {
                try await store.insertIssuer(StoreFixture.issuer("gap", iss: "https://gap"))
            }
            try await standby.control("promote")
            let followed = await eventually(timeout: 20, interval: 0.2) {
                (try? await store.insertIssuer(StoreFixture.issuer("after", iss: "https://after"))) != nil
            }
            #expect(followed, "the store never wrote to the promoted standby")
            #expect(store.pools.endpoint == named.alternates[0] && store.pools.generation == 1)
            #expect(try await store.issuers().map(\.issuer.name).sorted() == ["after", "before"])
        }
    }

    @Test func noServerThatAcceptsWritesFailsTheStartAndSaysWhy() async throws {
        try await withPrimaryAndStandby { primary, standby in
            try await primary.control("stop")
            let named = try location([primary.url, standby.url])
            await #expect {
                try await PostgresStore.connect(named, password: nil, owner: "r", logger: Logger(label: "test"))
            } throws: { error in
                "\(error)".contains(
                    "no server of database.url accepts writes: \(named.alternates[0].address) is a standby"
                )
            }
        }
    }
}
