import Foundation
import LogoutCore

/// Issuer key sets fetched from `jwks_uri`: the I/O shell around `KeySetRefreshState`, which
/// makes every decision (what is fresh, when to refresh, the cool-down, the backoff).
///
/// A fetch runs as a task owned by this actor and stores its result before it ends, so the
/// request that started a background refresh does not wait for it, and concurrent needs share
/// one fetch.
public actor IssuerKeyCache {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
        /// When the caller should try again (`Retry-After`).
        public let retryAfter: Duration
    }

    public enum UnknownKeyOutcome: Sendable {
        /// Refreshed for this request; verify again with these keys.
        case refreshed(JWKSet)
        /// A refresh ran too recently, or failing refreshes are backing off: answer `503`.
        case retryLater(Duration)
    }

    /// What a finished fetch reports, for metrics and logs.
    public enum RefreshResult: Sendable, Equatable {
        case succeeded
        case failed(String)
    }

    private struct Entry {
        var state: KeySetRefreshState<JWKSet>
        var inFlight: Task<RefreshResult, Never>?
        var generation = 0
    }

    private let fetcher: any JWKSFetching
    private let policy: KeySetRefreshState<JWKSet>.Policy
    private let now: @Sendable () -> ContinuousClock.Instant
    private let onRefresh: @Sendable (_ uri: String, _ result: RefreshResult) -> Void
    private var entries: [String: Entry] = [:]

    public init(
        fetcher: any JWKSFetching,
        policy: KeySetRefreshState<JWKSet>.Policy = .init(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now },
        onRefresh: @escaping @Sendable (_ uri: String, _ result: RefreshResult) -> Void = { _, _ in }
    ) {
        self.fetcher = fetcher
        self.policy = policy
        self.now = now
        self.onRefresh = onRefresh
    }

    /// The issuer's keys: cached ones at once (a stale set starts a background refresh), or a
    /// fetch the caller waits for when none are cached.
    /// - Throws: `Unavailable` when nothing is cached and the fetch fails or is backing off.
    public func keys(for uri: String) async throws -> JWKSet {
        switch withState(uri, { $0.lookup(now: $1) }) {
        case .use(let keys):
            return keys
        case .useAndRefresh(let keys):
            startFetch(uri)
            return keys
        case .fetch:
            startFetch(uri)
            return try await awaitFetch(uri)
        case .join:
            return try await awaitFetch(uri)
        case .unavailable(let retryAfter):
            throw Unavailable(
                description: "the issuer's keys could not be fetched; the next try is due later",
                retryAfter: retryAfter
            )
        }
    }

    /// Called after a token named a `kid` the cached set does not have.
    public func afterUnknownKeyID(_ uri: String) async -> UnknownKeyOutcome {
        switch withState(uri, { $0.unknownKeyID(now: $1) }) {
        case .retryLater(let wait):
            return .retryLater(wait)
        case .refresh, .join:
            startFetch(uri)
            do {
                return .refreshed(try await awaitFetch(uri))
            } catch let unavailable as Unavailable {
                return .retryLater(unavailable.retryAfter)
            } catch {
                return .retryLater(policy.failureBackoffInitial)
            }
        }
    }

    public func forget(_ uri: String) {
        entries[uri]?.inFlight?.cancel()
        entries[uri] = nil
    }

    /// Cancels fetches still running (graceful stop).
    public func shutdown() {
        for entry in entries.values { entry.inFlight?.cancel() }
    }

    private func withState<T>(
        _ uri: String,
        _ body: (inout KeySetRefreshState<JWKSet>, ContinuousClock.Instant) -> T
    )
        -> T
    {
        var entry = entries[uri] ?? Entry(state: KeySetRefreshState(policy: policy))
        let result = body(&entry.state, now())
        entries[uri] = entry
        return result
    }

    private func startFetch(_ uri: String) {
        guard var entry = entries[uri], entry.inFlight == nil else { return }
        entry.generation += 1
        let generation = entry.generation
        let fetcher = self.fetcher
        entry.inFlight = Task {
            let result: Result<(JWKSet, Double?), any Error>
            do {
                let document = try await fetcher.fetchJWKS(from: uri)
                result = .success((try JWKSet.parse(document.bytes), document.maxAge))
            } catch {
                result = .failure(error)
            }
            return self.store(result, uri: uri, generation: generation)
        }
        entries[uri] = entry
    }

    private func store(_ result: Result<(JWKSet, Double?), any Error>, uri: String, generation: Int) -> RefreshResult {
        let outcome: RefreshResult
        switch result {
        case .success: outcome = .succeeded
        case .failure(let error): outcome = .failed(String(describing: error))
        }
        guard var entry = entries[uri], entry.generation == generation else { return outcome }
        entry.inFlight = nil
        switch result {
        case .success(let (keys, maxAge)): entry.state.refreshSucceeded(keys, maxAge: maxAge, now: now())
        case .failure: entry.state.refreshFailed(now: now())
        }
        entries[uri] = entry
        onRefresh(uri, outcome)
        return outcome
    }

    /// Waits for the running fetch, which has stored its result by the time it returns.
    private func awaitFetch(_ uri: String) async throws -> JWKSet {
        if let task = entries[uri]?.inFlight {
            if case .failed(let reason) = await task.value {
                let wait = entries[uri]?.state.backoffRemaining(now: now()) ?? policy.failureBackoffInitial
                throw Unavailable(description: "the issuer's keys cannot be fetched: \(reason)", retryAfter: wait)
            }
        }
        guard let keys = entries[uri]?.state.keys else {
            throw Unavailable(
                description: "the issuer's keys cannot be fetched",
                retryAfter: policy.failureBackoffInitial
            )
        }
        return keys
    }
}
