import LogoutCore
import Tracing

/// An issuer's key fetch as a client span of the logout that caused it (`tracing:`): a token
/// that waited for its issuer's keys shows where the time went.
struct TracedKeyFetcher: JWKSFetching {
    let fetcher: any JWKSFetching
    let tracing: LogoutTracing

    func fetchJWKS(from uri: String) async throws -> FetchedJWKS {
        // A failure is recorded by its error's type (`LogoutTracing.span`), not its text; off,
        // the fetch runs alone.
        try await tracing.span("fetch issuer keys", kind: .client) { span in
            span.set(url: uri)
            return try await fetcher.fetchJWKS(from: uri)
        }
    }
}
