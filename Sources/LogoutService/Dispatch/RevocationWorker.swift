import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT
import ServiceLifecycle

/// Drains the revocation queue (BR-8): the shell around `RevocationRules`, as the dispatcher is
/// around the delivery state machine. Revocations are few (one or two per ended session that
/// holds upstream tokens), so it claims a batch, runs it, and otherwise looks for due work at
/// least once a second.
final class RevocationWorker: Service {
    struct Settings: Sendable {
        var retryPolicy: RetryPolicy
        var attemptTimeout: Duration
        var concurrency = 8
        var idlePoll: Duration = .seconds(1)
    }

    private let store: any RevocationStore
    private let sender: DeliverySender
    private let secrets: SecretBox
    private let settings: Settings
    private let metrics: LogoutMetrics
    private let wallClock: @Sendable () -> Timestamp
    private let logger: Logger

    init(
        store: any RevocationStore,
        sender: DeliverySender,
        secrets: SecretBox,
        settings: Settings,
        metrics: LogoutMetrics,
        wallClock: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) {
        self.store = store
        self.sender = sender
        self.secrets = secrets
        self.settings = settings
        self.metrics = metrics
        self.wallClock = wallClock
        self.logger = logger
    }

    func run() async throws {
        // A lease outlives the attempt it covers; a crash leaves it to the next start.
        let lease = settings.attemptTimeout * 2 + .seconds(5)
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            let claimed: [ClaimedRevocation]
            do {
                claimed = try await store.claimDueRevocations(
                    limit: settings.concurrency,
                    lease: lease,
                    now: wallClock()
                )
            } catch is CancellationError {
                return
            } catch {
                logger.error("cannot claim revocations", metadata: ["error": "\(error)"])
                claimed = []
            }
            if !claimed.isEmpty {
                await withDiscardingTaskGroup { group in
                    for revocation in claimed {
                        group.addTask { await self.revoke(revocation) }
                    }
                }
                continue
            }
            var wait = settings.idlePoll
            if let next = try? await store.nextRevocationDueAt() {
                wait = min(wait, max(.milliseconds(10), wallClock().duration(to: next)))
            }
            let pause = wait
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
        }
    }

    private func revoke(_ revocation: ClaimedRevocation) async {
        let transition = await attempt(revocation)
        do {
            try await store.recordRevocation(id: revocation.id, transition)
        } catch {
            // The lease expires and the revocation is tried again.
            logger.error(
                "cannot record a revocation attempt",
                metadata: ["revocation.id": "\(revocation.id)", "error": "\(error)"]
            )
            return
        }
        var metadata: Logger.Metadata = [
            "revocation.id": "\(revocation.id)", "event.id": "\(revocation.eventID)",
            "issuer": "\(revocation.issuerName)", "token_type_hint": "\(revocation.tokenType.hint)",
            "attempt": "\(transition.attempts)",
            "http.status": "\(transition.lastStatusCode.map(String.init) ?? "-")",
        ]
        metrics.revocation(issuer: revocation.issuerName, status: transition.status)
        switch transition.status {
        case .revoked:
            logger.info("upstream token revoked", metadata: metadata)
        case .retrying, .pending:
            metadata["error"] = "\(transition.lastError ?? "-")"
            logger.info("revocation attempt failed; will retry", metadata: metadata)
        case .failed:
            metadata["reason"] = "\(transition.reason ?? "-")"
            logger.warning("revocation failed", metadata: metadata)
        }
    }

    private func attempt(_ revocation: ClaimedRevocation) async -> RevocationTransition {
        let now = wallClock()
        guard let endpoint = revocation.endpoint else {
            return RevocationRules.cannotAttempt(
                reason: "the issuer has no revocation_endpoint any more",
                attemptsBefore: revocation.attempts,
                now: now
            )
        }
        guard let sealedToken = revocation.sealedToken else {
            return RevocationRules.cannotAttempt(
                reason: "the token is no longer stored",
                attemptsBefore: revocation.attempts,
                now: now
            )
        }
        let request: RevocationRequest
        do {
            let token = try secrets.open(
                sealedToken,
                for: .sessionToken(revocation.tokenType.rawValue, session: revocation.sessionID)
            )
            let clientSecret = try revocation.sealedClientSecret.map {
                try secrets.open($0, for: .issuerClientSecret(revocation.issuerName))
            }
            request = RevocationRequest(
                token: String(decoding: token, as: UTF8.self),
                type: revocation.tokenType,
                clientID: revocation.clientID,
                clientSecret: clientSecret.map { String(decoding: $0, as: UTF8.self) }
            )
        } catch {
            return RevocationRules.cannotAttempt(
                reason: "cannot open the stored token or client secret: \(error)",
                attemptsBefore: revocation.attempts,
                now: now
            )
        }
        let result = await sender.post(
            form: request.form,
            authorization: request.authorization,
            to: endpoint,
            field: "revocation_endpoint",
            timeout: settings.attemptTimeout
        )
        var generator = SystemRandomNumberGenerator()
        return RevocationRules.afterAttempt(
            result,
            attemptsBefore: revocation.attempts,
            createdAt: revocation.createdAt,
            finishedAt: wallClock(),
            policy: settings.retryPolicy,
            using: &generator
        )
    }
}
