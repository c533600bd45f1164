import Logging
import LogoutAdminAPI
import LogoutCore

/// The revocation log and its retries (BR-8): a failed revocation stays visible, with its token
/// kept, until an admin fixes the issuer and retries it or the log's retention removes it.
struct RevocationAdmin: Sendable {
    let context: AdminContext

    func list(_ query: RevocationQuery) async throws -> RevocationList {
        RevocationList(
            revocations: try await context.storage { try await context.store.revocations(query) }
                .map(RevocationResource.init)
        )
    }

    func retry(id: Int64) async throws -> QueuedCount {
        switch try await context.storage({ try await context.store.retryRevocation(id: id, now: context.now()) }) {
        case .queued:
            context.wakers.revocations.signal()
            context.logger.info("revocation queued again", metadata: ["revocation.id": "\(id)"])
            return QueuedCount(queued: 1)
        case .notFound:
            throw AdminError.notFound("no revocation with id \(id)")
        case .alreadyDelivered:
            throw AdminError(.conflict, "already_revoked", "revocation \(id) succeeded; nothing to retry")
        }
    }
}
