import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// What every part of the admin service shares: the store, the in-memory views it must keep in
/// step, the clock, and the mapping of store failures to answers.
struct AdminContext: Sendable {
    let store: any LogoutStore
    let directory: IssuerDirectory
    let keyCache: IssuerKeyCache
    let secrets: SecretBox
    let keys: SigningKeyring
    let wakers: QueueWakers
    let allowPrivateNetworks: Bool
    /// Deletes our old stream at a transmitter when the admin replaces or removes it.
    let upstreams: UpstreamStreamService
    /// Our own `iss`: the token issuer of RPs that set none.
    let ourIssuer: String
    /// An admin-triggered logout begins a trace of its own, which its deliveries continue.
    var tracing = LogoutTracing.off
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// Runs a store operation, mapping its failures: registry conflicts and misses to 409/404,
    /// a busy or failing store to 503, so admins and scripts can tell "fix your request" from
    /// "try again".
    func storage<T: Sendable>(_ operation: () async throws -> T) async throws -> T {
        do {
            return try await operation()
        } catch let error as RegistryError {
            switch error {
            case .conflict(let text): throw AdminError(.conflict, "conflict", text)
            case .notFound(let text): throw AdminError.notFound(text)
            }
        } catch let error as AdminError {
            throw error
        } catch {
            logger.error("database error", metadata: ["error": "\(error)"])
            throw AdminError(.unavailable, "temporarily_unavailable", "the database is unavailable; retry later")
        }
    }
}
