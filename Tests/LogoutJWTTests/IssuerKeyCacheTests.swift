import Foundation
import LogoutCore
import LogoutJWT
import Synchronization
import TestSupport
import Testing

/// A fetcher that counts calls and serves whatever the test sets; a closed gate holds every
/// fetch until it opens.
final class ScriptedFetcher: JWKSFetching {
    let document = Mutex<Result<FetchedJWKS, any Error>>(.failure(CancellationError()))
    let calls = Atomic<Int>(0)
    let delay: Mutex<Duration>
    private let gate = Mutex<(open: Bool, waiting: [CheckedContinuation<Void, Never>])>((true, []))

    init(delay: Duration = .zero) { self.delay = Mutex(delay) }

    func closeGate() { gate.withLock { $0.open = false } }

    func openGate() {
        let waiting = gate.withLock { gate in
            gate.open = true
            defer { gate.waiting = [] }
            return gate.waiting
        }
        for continuation in waiting { continuation.resume() }
    }

    func serve(_ jwks: JSONValue, maxAge: Double? = nil) {
        document.withLock { $0 = .success(FetchedJWKS(bytes: JSONSerializer.serialize(jwks), maxAge: maxAge)) }
    }

    func fail() { document.withLock { $0 = .failure(URLError(.cannotConnectToHost)) } }

    var count: Int { calls.load(ordering: .relaxed) }

    func fetchJWKS(from uri: String) async throws -> FetchedJWKS {
        calls.add(1, ordering: .relaxed)
        await withCheckedContinuation { continuation in
            let passes = gate.withLock { gate in
                if !gate.open { gate.waiting.append(continuation) }
                return gate.open
            }
            if passes { continuation.resume() }
        }
        let wait = delay.withLock { $0 }
        if wait > .zero { try await Task.sleep(for: wait) }
        return try document.withLock { $0 }.get()
    }
}

/// A monotonic clock the test moves by hand.
final class ManualInstant: Sendable {
    let value = Mutex(ContinuousClock.now)
    func advance(_ duration: Duration) { value.withLock { $0 += duration } }
    var now: @Sendable () -> ContinuousClock.Instant { { self.value.withLock { $0 } } }
}

/// The cache's I/O around `KeySetRefreshState` (whose rules have their own table in
/// LogoutCoreTests): fetches really happen, or do not, as the state decides.
@Suite struct IssuerKeyCacheTests {
    @Test func servesFromCacheUntilTheTTLThenRefreshesInTheBackground() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "a")]))
        let clock = ManualInstant()
        let cache = IssuerKeyCache(fetcher: fetcher, now: clock.now)
        _ = try await cache.keys(for: "u")
        _ = try await cache.keys(for: "u")
        #expect(fetcher.count == 1)
        clock.advance(.seconds(301))
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "b")]))
        // Stale keys answer at once; the refresh runs behind.
        #expect(try await cache.keys(for: "u").keys.first?.keyID == "a")
        try await eventuallyTrue { try await cache.keys(for: "u").keys.first?.keyID == "b" }
        #expect(fetcher.count == 2)
    }

    /// The key endpoint hangs until the test lets it fail: requests answered meanwhile did not
    /// wait for the refresh (one that waited would hang, and the time limit fail the test).
    @Test(.timeLimit(.minutes(1)))
    func aFailingRefreshNeverDelaysARequestThatHasKeys() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "a")]))
        let clock = ManualInstant()
        let cache = IssuerKeyCache(fetcher: fetcher, now: clock.now)
        _ = try await cache.keys(for: "u")
        fetcher.closeGate()
        fetcher.fail()
        clock.advance(.seconds(10_000))
        #expect(try await cache.keys(for: "u").keys.first?.keyID == "a")
        #expect(try await cache.keys(for: "u").keys.first?.keyID == "a")
        // The refresh started and is still held: the answers came from the cache meanwhile.
        #expect(await eventually { fetcher.count == 2 })  // one background refresh, not one per request
        fetcher.openGate()
        await cache.shutdown()
        #expect(fetcher.count == 2)
    }

    @Test func unavailableWhenNothingWasEverFetchedThenBacksOff() async {
        let fetcher = ScriptedFetcher()
        fetcher.fail()
        let cache = IssuerKeyCache(fetcher: fetcher, now: ManualInstant().now)
        await #expect(throws: IssuerKeyCache.Unavailable.self) { try await cache.keys(for: "u") }
        do {
            _ = try await cache.keys(for: "u")
            Issue.record("keys served after a failed fetch")
        } catch let unavailable as IssuerKeyCache.Unavailable {
            // Inside the backoff: answered at once, without a second fetch.
            #expect(unavailable.retryAfter > .zero && unavailable.retryAfter <= .seconds(5))
        } catch {
            Issue.record("unexpected \(error)")
        }
        #expect(fetcher.count == 1)
    }

    /// The rotation the hardening issue measured: a new key used less than a minute after our
    /// fetch is found by a refresh; a second unknown kid inside the cool-down waits.
    @Test func unknownKidRefreshesAtOnceThenWaitsOutTheCooldown() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "old")]))
        let clock = ManualInstant()
        let cache = IssuerKeyCache(fetcher: fetcher, policy: .init(unknownKeyCooldown: .seconds(10)), now: clock.now)
        _ = try await cache.keys(for: "u")
        clock.advance(.seconds(12))
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256(kid: "old"), TokenForge.newES256(kid: "new")]))
        guard case .refreshed(let keys) = await cache.afterUnknownKeyID("u") else {
            Issue.record("no refresh for an unknown kid")
            return
        }
        #expect(keys.contains(keyID: "new"))
        clock.advance(.seconds(3))
        guard case .retryLater(let wait) = await cache.afterUnknownKeyID("u") else {
            Issue.record("refreshed again inside the cool-down")
            return
        }
        #expect(wait == .seconds(7))
        #expect(fetcher.count == 2)
    }

    @Test func concurrentRequestsShareOneFetch() async throws {
        let fetcher = ScriptedFetcher(delay: .milliseconds(200))
        fetcher.serve(try TokenForge.jwks([TokenForge.newES256()]))
        let cache = IssuerKeyCache(fetcher: fetcher)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 { group.addTask { _ = try await cache.keys(for: "u") } }
            try await group.waitForAll()
        }
        #expect(fetcher.count == 1)
    }

    @Test func reportsEveryRefreshForMetrics() async throws {
        let fetcher = ScriptedFetcher()
        fetcher.fail()
        let reports = Mutex<[IssuerKeyCache.RefreshResult]>([])
        let cache = IssuerKeyCache(fetcher: fetcher, now: ManualInstant().now) { _, result in
            reports.withLock { $0.append(result) }
        }
        _ = try? await cache.keys(for: "u")
        #expect(reports.withLock { $0.count } == 1)
        if case .failed = reports.withLock({ $0[0] }) {} else { Issue.record("a failed fetch reported as success") }
    }

    func eventuallyTrue(_ condition: () async throws -> Bool) async throws {
        if try await eventually(condition) { return }
        Issue.record("condition never became true")
    }
}
