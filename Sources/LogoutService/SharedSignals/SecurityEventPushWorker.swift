import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// What the queue engine does with a SET of a push stream (SSF-4, RFC 8935): read the stream's
/// endpoint and credential as they are now, sign the stored claims, POST them as
/// `application/secevent+jwt`, and tell the operator what became of it.
struct SecurityEventPushWorker: Sendable {
    let sender: DeliverySender
    let signer: SecurityEventSigner
    let secrets: SecretBox
    let attemptTimeout: Duration
    let metrics: LogoutMetrics
    /// What the journal hears of outcomes, by stream (ADM-4).
    let outcomes: OutcomeLog
    /// Each push is a client span of the logout's trace, when a logout made the SET (TRACE-2).
    var tracing = LogoutTracing.off
    let wallClock: @Sendable () -> Timestamp
    let logger: Logger

    static let contentType = "application/secevent+jwt"

    /// The engine that pushes SETs: the store's SET queue and this worker.
    static func engine(
        _ worker: SecurityEventPushWorker,
        queue store: any SecurityEventQueue,
        settings: QueueSettings,
        waker: Waker
    ) -> QueueDispatcher<SecurityEventJobs> {
        QueueDispatcher(
            queue: .init(
                claim: { try await store.claimDueSecurityEvents($0, now: $1) },
                record: { try await store.recordSecurityEvents($0) },
                release: { try await store.releaseSecurityEventLeases(ids: $0, now: $1) },
                nextDueAt: { try await store.nextSecurityEventDueAt() },
                boundDueTimes: { try await store.boundSecurityEventDueTimes(now: $0, latest: $1) }
            ),
            worker: .init(
                singular: "SET push",
                plural: "SET pushes",
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

    func attempt(_ event: ClaimedSecurityEvent) async -> QueueStateMachine<SecurityEventJobs>.AttemptOutcome {
        await tracing.attempt(
            "push security event",
            parent: event.traceContext,
            describe: { span in
                span.set("logoutd.stream_id", event.streamID)
                span.set("logoutd.attempt", event.attempts + 1)
            }
        ) { trace in await attempt(event, trace: trace) }
    }

    private func attempt(
        _ event: ClaimedSecurityEvent,
        trace: TraceContext?
    ) async
        -> QueueStateMachine<SecurityEventJobs>.AttemptOutcome
    {
        let clock = ContinuousClock()
        let startedAt = wallClock()
        let started = clock.now
        func notAttempted(_ reason: String) -> QueueStateMachine<SecurityEventJobs>.AttemptOutcome {
            .init(
                job: event,
                result: .transportFailure(.blocked, detail: reason),
                startedAt: startedAt,
                duration: .zero,
                jti: event.jti,
                notAttempted: reason
            )
        }
        let endpoint: String
        let token: String
        let authorization: String?
        do {
            // The stream as it was when the SET was claimed (a push stream, enabled).
            let configuration = try StreamConfiguration(storedText: event.configuration)
            endpoint = configuration.delivery.endpointURL
            authorization = try event.sealedAuthorization.map {
                String(decoding: try secrets.open($0, for: .streamAuthorization(event.streamID)), as: UTF8.self)
            }
            guard case .object(let claims) = try StrictJSONParser.parse(Array(event.claims.utf8)) else {
                return notAttempted("the stored SET's claims are not a JSON object")
            }
            token = try signer.sign(claims, now: startedAt)
        } catch {
            return notAttempted("cannot read the stream or sign the SET: \(error)")
        }
        let result = await sender.post(
            body: token,
            contentType: Self.contentType,
            authorization: authorization,
            to: endpoint,
            field: "stream's delivery endpoint_url",
            timeout: attemptTimeout,
            trace: trace
        )
        return .init(
            job: event,
            result: result,
            startedAt: startedAt,
            duration: started.duration(to: clock.now),
            jti: event.jti
        )
    }

    /// By receiver: stream ids come and go with their receivers' requests, receivers only with
    /// the admin's.
    func log(_ report: SecurityEventReport) {
        let transition = report.transition
        var metadata: Logger.Metadata = [
            "receiver": "\(report.receiver)", "stream": "\(report.streamID)", "set.jti": "\(report.jti)",
            "attempt": "\(transition.attempts)",
            "http.status": "\(transition.lastStatusCode.map(String.init) ?? "-")",
        ]
        let (key, cause) = (report.receiver, transition.lastStatusCode.map { "HTTP \($0)" } ?? "no answer")
        switch transition.state {
        case .done:
            metrics.securityEventPush(receiver: key, outcome: "delivered")
            outcomes.record(.succeeded, key: key, "SET pushed", level: .info, metadata: metadata)
        case .retrying:
            metrics.securityEventPush(receiver: key, outcome: "retrying")
            metadata["error"] = "\(transition.lastError ?? "-")"
            outcomes.record(
                .retrying,
                key: key,
                cause: cause,
                nextAttemptAt: transition.nextAttemptAt,
                "SET push failed; will retry",
                level: .info,
                metadata: metadata
            )
        case .failed:
            metrics.securityEventPush(receiver: key, outcome: "failed")
            metadata["reason"] = "\(transition.reason ?? "-")"
            outcomes.record(.failed, key: key, cause: cause, "SET push failed", level: .warning, metadata: metadata)
        }
    }
}
