import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// What the queue engine does with an upstream token revocation (BR-8): open the sealed token
/// and the issuer's client secret, POST them to the issuer's `revocation_endpoint` (RFC 7009,
/// `client_secret_basic`), and tell the operator what became of it.
struct RevocationWorker: Sendable {
    let sender: DeliverySender
    let secrets: SecretBox
    let attemptTimeout: Duration
    let metrics: LogoutMetrics
    /// What the journal hears of outcomes, by issuer (ADM-4).
    let outcomes: OutcomeLog
    /// Each attempt is a client span of the logout's trace (TRACE-2).
    var tracing = LogoutTracing.off
    let wallClock: @Sendable () -> Timestamp
    let logger: Logger

    /// The engine that runs revocations: the store's revocation queue and this worker.
    static func engine(
        _ worker: RevocationWorker,
        queue store: any RevocationStore,
        settings: QueueSettings,
        waker: Waker
    ) -> QueueDispatcher<RevocationJobs> {
        QueueDispatcher(
            queue: .init(
                claim: { try await store.claimDueRevocations($0, now: $1) },
                record: { try await store.recordRevocations($0) },
                release: { try await store.releaseRevocationLeases(ids: $0, now: $1) },
                nextDueAt: { try await store.nextRevocationDueAt() },
                boundDueTimes: { try await store.boundRevocationDueTimes(now: $0, latest: $1) }
            ),
            worker: .init(
                singular: "revocation",
                plural: "revocations",
                attempt: { await worker.attempt($0) },
                jobID: \.id,
                stored: { worker.log($0) }
            ),
            settings: settings,
            waker: waker,
            heartbeat: nil,
            wallClock: worker.wallClock,
            logger: worker.logger
        )
    }

    func attempt(_ revocation: ClaimedRevocation) async -> RevocationStateMachine.AttemptOutcome {
        await tracing.attempt(
            "revoke token",
            parent: revocation.traceContext,
            describe: { span in
                span.set("logoutd.issuer", revocation.issuerName)
                span.set("logoutd.event_id", Int(revocation.eventID))
                span.set("logoutd.revocation_id", Int(revocation.id))
                span.set("logoutd.token_type", revocation.tokenType.rawValue)
                span.set("logoutd.attempt", revocation.attempts + 1)
            }
        ) { trace in await attempt(revocation, trace: trace) }
    }

    private func attempt(
        _ revocation: ClaimedRevocation,
        trace: TraceContext?
    ) async
        -> RevocationStateMachine.AttemptOutcome
    {
        let clock = ContinuousClock()
        let startedAt = wallClock()
        let started = clock.now
        func notAttempted(_ reason: String) -> RevocationStateMachine.AttemptOutcome {
            .init(
                job: revocation,
                result: .transportFailure(.blocked, detail: reason),
                startedAt: startedAt,
                duration: .zero,
                notAttempted: reason
            )
        }
        guard let endpoint = revocation.endpoint else {
            return notAttempted("the issuer has no revocation_endpoint any more")
        }
        guard let sealedToken = revocation.sealedToken else { return notAttempted("the token is no longer stored") }
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
            return notAttempted("cannot open the stored token or client secret: \(error)")
        }
        let result = await sender.post(
            form: request.form,
            authorization: request.authorization,
            to: endpoint,
            field: "revocation_endpoint",
            timeout: attemptTimeout,
            trace: trace
        )
        return .init(job: revocation, result: result, startedAt: startedAt, duration: started.duration(to: clock.now))
    }

    func log(_ report: RevocationReport) {
        let transition = report.transition
        var metadata: Logger.Metadata = [
            "revocation.id": "\(report.id)", "event.id": "\(report.eventID)",
            "issuer": "\(report.issuerName)", "token_type_hint": "\(report.tokenType.hint)",
            "attempt": "\(transition.attempts)",
            "http.status": "\(transition.lastStatusCode.map(String.init) ?? "-")",
        ]
        metrics.revocation(issuer: report.issuerName, status: transition.status)
        let key = report.issuerName
        switch transition.status {
        case .revoked:
            outcomes.record(.succeeded, key: key, "upstream token revoked", level: .info, metadata: metadata)
        case .retrying, .pending:
            metadata["error"] = "\(transition.lastError ?? "-")"
            outcomes.record(
                .retrying,
                key: key,
                cause: transition.lastStatusCode.map { "HTTP \($0)" } ?? "no answer",
                nextAttemptAt: transition.nextAttemptAt,
                "revocation attempt failed; will retry",
                level: .info,
                metadata: metadata
            )
        case .failed:
            metadata["reason"] = "\(transition.reason ?? "-")"
            outcomes.record(
                .failed,
                key: key,
                cause: transition.lastStatusCode.map { "HTTP \($0)" } ?? "no answer",
                "revocation failed",
                level: .warning,
                metadata: metadata
            )
        }
    }
}
