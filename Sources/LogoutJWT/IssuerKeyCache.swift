import Foundation
import LogoutCore

/// Issuer key sets fetched from `jwks_uri`, cached, refreshed in the background of requests.
///
/// - A fresh set is served from memory; a stale one triggers a refresh, and if the refresh fails
///   the last good keys keep serving (an IdP's key endpoint being down must not stop logouts).
/// - An unknown `kid` may trigger one refresh per issuer per `unknownKeyRefreshInterval`: enough
///   to pick up a rotation at once, too little for a forger to make us hammer the IdP.
/// - Concurrent requests that need a fetch share one (single flight).
public actor IssuerKeyCache {
    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    struct Entry {
        var keys: JWKSet?
        var expiresAt: Double = 0
        var lastFetchAt: Double = -.infinity
        var lastError: String?
        var inFlight: Task<(JWKSet, Double?), any Error>?
    }

    private let fetcher: any JWKSFetching
    private let now: @Sendable () -> Double
    private var entries: [String: Entry] = [:]

    public let minimumTTL: Double
    public let maximumTTL: Double
    public let unknownKeyRefreshInterval: Double

    public init(
        fetcher: any JWKSFetching,
        minimumTTL: Double = 300,
        maximumTTL: Double = 86_400,
        unknownKeyRefreshInterval: Double = 60,
        now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }
    ) {
        self.fetcher = fetcher
        self.minimumTTL = minimumTTL
        self.maximumTTL = maximumTTL
        self.unknownKeyRefreshInterval = unknownKeyRefreshInterval
        self.now = now
    }

    /// The issuer's keys: cached when fresh, fetched when stale or missing.
    /// - Throws: `Unavailable` when no keys were ever fetched and the fetch fails.
    public func keys(for uri: String) async throws -> JWKSet {
        let entry = entries[uri] ?? Entry()
        if let keys = entry.keys, now() < entry.expiresAt { return keys }
        do {
            return try await refresh(uri)
        } catch {
            if let keys = entries[uri]?.keys { return keys }
            throw Unavailable(description: "the issuer's keys cannot be fetched: \(error)")
        }
    }

    /// Called after a token named a `kid` the cached set does not have. Returns the refreshed
    /// set, or `nil` when a refresh for this issuer happened too recently.
    public func refreshForUnknownKey(_ uri: String) async -> JWKSet? {
        let entry = entries[uri] ?? Entry()
        if entry.inFlight == nil, now() - entry.lastFetchAt < unknownKeyRefreshInterval {
            return nil
        }
        return try? await refresh(uri)
    }

    public func forget(_ uri: String) {
        entries[uri]?.inFlight?.cancel()
        entries[uri] = nil
    }

    private func refresh(_ uri: String) async throws -> JWKSet {
        if let task = entries[uri]?.inFlight {
            return try await task.value.0
        }
        let fetcher = self.fetcher
        let task = Task<(JWKSet, Double?), any Error> {
            let document = try await fetcher.fetchJWKS(from: uri)
            return (try JWKSet.parse(document.bytes), document.maxAge)
        }
        entries[uri, default: Entry()].inFlight = task
        entries[uri, default: Entry()].lastFetchAt = now()
        do {
            let (keys, maxAge) = try await task.value
            let ttl = min(max(maxAge ?? minimumTTL, minimumTTL), maximumTTL)
            entries[uri, default: Entry()].keys = keys
            entries[uri, default: Entry()].expiresAt = now() + ttl
            entries[uri, default: Entry()].lastError = nil
            entries[uri, default: Entry()].inFlight = nil
            return keys
        } catch {
            entries[uri, default: Entry()].lastError = String(describing: error)
            entries[uri, default: Entry()].inFlight = nil
            throw error
        }
    }
}
