import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT

/// What the queue engine does with a back-channel logout delivery: mint a fresh token (OUT-3),
/// POST it, and tell the operator what became of it.
struct DeliveryWorker: Sendable {
    let sender: DeliverySender
    let minter: LogoutTokenMinter
    let secrets: SecretBox
    /// Our `issuer`, the `iss` of tokens for RPs that do not name another.
    let issuer: String
    let attemptTimeout: Duration
    let metrics: LogoutMetrics
    /// What the journal hears of outcomes, by RP (ADM-4).
    let outcomes: OutcomeLog
    /// Each attempt is a client span of the logout's trace, stored with the delivery (TRACE-2).
    let tracing: LogoutTracing
    let wallClock: @Sendable () -> Timestamp
    let logger: Logger

    /// The engine that runs deliveries: the store's delivery queue and this worker.
    static func engine(
        _ worker: DeliveryWorker,
        queue store: any DeliveryQueueStore,
        settings: QueueSettings,
        waker: Waker,
        heartbeat: Heartbeat?
    ) -> QueueDispatcher<DeliveryJobs> {
        QueueDispatcher(
            queue: .init(
                claim: { try await store.claimDue($0, now: $1) },
                record: { try await store.recordAttempts($0) },
                release: { try await store.releaseLeases(ids: $0, now: $1) },
                nextDueAt: { try await store.nextDueAt() },
                boundDueTimes: { try await store.boundDueTimes(now: $0, latest: $1) }
            ),
            worker: .init(
                singular: "delivery",
                plural: "deliveries",
                attempt: { await worker.attempt($0) },
                jobID: \.deliveryID,
                stored: { report in
                    worker.log(report)
                    worker.count(report)
                }
            ),
            settings: settings,
            waker: waker,
            heartbeat: heartbeat,
            wallClock: worker.wallClock,
            logger: worker.logger
        )
    }

    /// Mints a fresh token (OUT-3) and POSTs it; the engine decides what the answer means.
    func attempt(_ delivery: ClaimedDelivery) async -> DeliveryStateMachine.AttemptOutcome {
        // Under the intake's span, however long after it: a retry after a restart, or on
        // another replica, is in the same trace. Off, the helper runs the attempt alone.
        await tracing.attempt(
            "deliver logout",
            parent: delivery.traceContext,
            describe: { span in
                span.set("logoutd.client_id", delivery.clientID)
                span.set("logoutd.event_id", Int(delivery.eventID))
                span.set("logoutd.delivery_id", Int(delivery.id))
                span.set("logoutd.attempt", delivery.attempts + 1)
                span.set(url: delivery.uri)
            }
        ) { trace in await attempt(delivery, trace: trace) }
    }

    private func attempt(_ delivery: ClaimedDelivery, trace: TraceContext?) async -> DeliveryStateMachine.AttemptOutcome
    {
        let clock = ContinuousClock()
        let startedAt = wallClock()
        let started = clock.now
        var jti = "-"
        let result: AttemptResult
        do {
            let secret = try delivery.sealedClientSecret.map {
                try secrets.open($0, for: .relyingPartyClientSecret(delivery.clientID))
            }
            let minted = try minter.mint(
                OutboundLogoutClaims(
                    issuer: delivery.tokenIssuer ?? issuer,
                    audience: delivery.clientID,
                    subject: delivery.sub,
                    sessionID: delivery.sid,
                    transaction: String(delivery.eventID)
                ),
                algorithm: delivery.signingAlgorithm,
                hmacSecret: secret,
                now: startedAt
            )
            jti = minted.jti
            result = await sender.send(token: minted.token, to: delivery.uri, timeout: attemptTimeout, trace: trace)
        } catch {
            result = .transportFailure(.signing, detail: "cannot mint the logout token: \(error)")
        }
        return .init(
            delivery: delivery,
            result: result,
            startedAt: startedAt,
            duration: started.duration(to: clock.now),
            jti: jti
        )
    }
}
