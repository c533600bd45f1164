import Foundation
import LogoutCore
import LogoutJWT
import Synchronization
import TestSupport
import Testing

/// A fetcher that counts calls and serves whatever the test sets.
final class ScriptedFetcher: JWKSFetching {
    let document = Mutex<Result<FetchedJWKS, any Error>>(.failure(CancellationError()))
    let calls = Atomic<Int>(0)
    let delay: Double

    init(delay: Double = 0) { self.delay = delay }

    func serve(_ jwks: JSONValue, maxAge: Double? = nil) {
        document.withLock { $0 = .success(FetchedJWKS(bytes: JSONSerializer.serialize(jwks), maxAge: maxAge)) }
    }

    func fail() { document.withLock { $0 = .failure(URLError(.cannotConnectToHost)) } }

    func fetchJWKS(from uri: String) async throws -> FetchedJWKS {
        calls.add(1, ordering: .relaxed)
        if delay > 0 { try await Task.sleep(for: .milliseconds(Int64(delay * 1000))) }
        return try document.withLock { $0 }.get()
    }
}

final class TestClock: Sendable {
    let value = Mutex<Double>(1_000)
    func advance(_ seconds: Double) { value.withLock { $0 += seconds } }
    var now: @Sendable () -> Double { { self.value.withLock { $0 } } }
}

@Suite struct IssuerKeyCacheTests {
    @Test func servesFromCacheUntilTheTTLThenRefreshes() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256()]))
        let clock = TestClock()
        let cache = IssuerKeyCache(fetcher: fetcher, now: clock.now)
        _ = try await cache.keys(for: "u")
        _ = try await cache.keys(for: "u")
        #expect(fetcher.calls.load(ordering: .relaxed) == 1)
        clock.advance(301)
        _ = try await cache.keys(for: "u")
        #expect(fetcher.calls.load(ordering: .relaxed) == 2)
    }

    @Test func keepsTheLastGoodKeysWhenARefreshFails() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "a")]))
        let clock = TestClock()
        let cache = IssuerKeyCache(fetcher: fetcher, now: clock.now)
        _ = try await cache.keys(for: "u")
        fetcher.fail()
        clock.advance(10_000)
        #expect(try await cache.keys(for: "u").keys.first?.keyID == "a")
    }

    @Test func unavailableWhenNothingWasEverFetched() async {
        let fetcher = ScriptedFetcher()
        fetcher.fail()
        let cache = IssuerKeyCache(fetcher: fetcher)
        await #expect(throws: IssuerKeyCache.Unavailable.self) { try await cache.keys(for: "u") }
    }

    @Test func unknownKidRefreshesAtMostOncePerInterval() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "old")]))
        let clock = TestClock()
        let cache = IssuerKeyCache(fetcher: fetcher, now: clock.now)
        _ = try await cache.keys(for: "u")
        clock.advance(61)
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "new")]))
        #expect(await cache.refreshForUnknownKey("u")?.contains(keyID: "new") == true)
        #expect(await cache.refreshForUnknownKey("u") == nil)
        #expect(fetcher.calls.load(ordering: .relaxed) == 2)
    }

    @Test func concurrentRequestsShareOneFetch() async throws {
        let fetcher = ScriptedFetcher(delay: 0.2)
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256()]))
        let cache = IssuerKeyCache(fetcher: fetcher)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await cache.keys(for: "u") } }
            try await group.waitForAll()
        }
        #expect(fetcher.calls.load(ordering: .relaxed) == 1)
    }
}
