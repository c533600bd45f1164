import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT
import ServiceLifecycle
import Synchronization

/// The shell around `DeliveryStateMachine`: it performs the machine's actions against the queue
/// and the HTTP client and feeds their results back, nothing more (rulebook sections 3 to 5).
///
/// Attempts and the storing of their outcomes run as child tasks of `run()` (Swift concurrency,
/// libdispatch on Linux); they report through an inbox and the `Waker`, so the machine is only
/// ever driven from the loop.
final class DeliveryDispatcher: Service {
    struct Settings: Sendable {
        var issuer: String
        var machine: DeliveryStateMachine.Settings
    }

    /// What a child task reports to the loop.
    enum Event: Sendable {
        case finished(DeliveryStateMachine.AttemptOutcome)
        case recorded(Int64, stored: Bool)
    }

    private let queue: any DeliveryQueueStore
    private let sender: DeliverySender
    private let minter: LogoutTokenMinter
    private let secrets: SecretBox
    private let settings: Settings
    private let waker: Waker
    let metrics: LogoutMetrics
    private let heartbeat: Heartbeat
    private let wallClock: @Sendable () -> Timestamp
    let logger: Logger
    private let inbox = Mutex<[Event]>([])
    private let clock = ContinuousClock()

    init(
        queue: any DeliveryQueueStore,
        sender: DeliverySender,
        minter: LogoutTokenMinter,
        secrets: SecretBox,
        settings: Settings,
        waker: Waker,
        metrics: LogoutMetrics,
        heartbeat: Heartbeat = Heartbeat(),
        wallClock: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) {
        self.heartbeat = heartbeat
        self.queue = queue
        self.sender = sender
        self.minter = minter
        self.secrets = secrets
        self.settings = settings
        self.waker = waker
        self.metrics = metrics
        self.wallClock = wallClock
        self.logger = logger
    }

    private var now: DeliveryStateMachine.Now { .init(wall: wallClock(), monotonic: clock.now) }

    func run() async throws {
        let stopRequested = Atomic<Bool>(false)
        var machine = DeliveryStateMachine(settings: settings.machine)
        var generator = SystemRandomNumberGenerator()
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                var actions = machine.wake(now)
                var stopping = false
                // Cancelled (not a graceful stop: the service group is tearing down after a
                // failure): leave at once. Leases expire, and the next start releases them all.
                while !Task.isCancelled {
                    var sleepUntil: ContinuousClock.Instant?
                    var storeFailed = false
                    var outcomes: [AttemptReport] = []
                    while !actions.isEmpty {
                        let action = actions.removeFirst()
                        if case .stop = action { return }
                        if case .sleep(let until) = action {
                            sleepUntil = until
                            continue
                        }
                        if case .record(let report) = action {
                            outcomes.append(report)
                            continue
                        }
                        actions += await perform(action, machine: &machine, group: &group, storeFailed: &storeFailed)
                    }
                    // Every outcome of this pass goes to the store in one write.
                    if !outcomes.isEmpty {
                        let batch = outcomes
                        group.addTask { await self.store(batch) }
                    }
                    // A pass that reached its sleep with the store answering is progress: the
                    // systemd watchdog pings on it (a wedged loop or a refusing store stops it).
                    if !storeFailed { heartbeat.beat() }
                    if let sleepUntil { await waker.wait(until: sleepUntil, on: clock) }
                    for event in inbox.withLock({ events in
                        defer { events = [] }; return events
                    }) {
                        switch event {
                        case .finished(let outcome):
                            actions += machine.attemptFinished(outcome, now: now, using: &generator)
                        case .recorded(let id, _):
                            actions += machine.recorded(id, now: now)
                        }
                    }
                    if !stopping && stopRequested.load(ordering: .acquiring) {
                        stopping = true
                        actions += machine.shutdownRequested(now: now)
                    }
                    actions += machine.wake(now)
                }
            } onGracefulShutdown: {
                stopRequested.store(true, ordering: .releasing)
                self.waker.signal()
            }
        }
    }

    /// Performs one action; returns what the machine answers to its result.
    private func perform(
        _ action: DeliveryStateMachine.Action,
        machine: inout DeliveryStateMachine,
        group: inout DiscardingTaskGroup,
        storeFailed: inout Bool
    ) async -> [DeliveryStateMachine.Action] {
        switch action {
        case .claim(let request):
            do {
                let claimed = try await queue.claimDue(request, now: now.wall)
                return machine.claimed(claimed, limit: request.limit, now: now)
            } catch {
                logger.error("cannot claim deliveries", metadata: ["error": "\(error)"])
                storeFailed = true
                return machine.claimFailed(now: now)
            }
        case .findNextDue:
            do {
                return machine.nextDue(try await queue.nextDueAt(), now: now)
            } catch {
                storeFailed = true
                return machine.nextDue(nil, now: now)
            }
        case .start(let deliveries):
            for delivery in deliveries {
                group.addTask {
                    let outcome = await self.attempt(delivery)
                    if Task.isCancelled { return }  // a stop: the lease is handed back
                    self.report(.finished(outcome))
                }
            }
        case .boundDueTimes(let latest):
            let moved = (try? await queue.boundDueTimes(now: now.wall, latest: latest)) ?? 0
            logger.warning(
                "the wall clock stepped back; due times beyond the longest backoff were brought forward",
                metadata: ["deliveries": "\(moved)"]
            )
        case .releaseLeases(let ids):
            do {
                try await queue.releaseLeases(ids: ids, now: now.wall)
            } catch {
                logger.warning("cannot hand leases back; they expire by themselves", metadata: ["error": "\(error)"])
            }
        case .cancelAttempts:
            logger.warning("cancelling attempts at shutdown", metadata: ["count": "\(machine.inFlightTotal)"])
            group.cancelAll()
        case .sleep, .stop, .record:
            break  // `run()` handles these: it sleeps, stops, and stores a pass's outcomes at once
        }
        return []
    }

    private func report(_ event: Event) {
        inbox.withLock { $0.append(event) }
        waker.signal()
    }

    /// Mints a fresh token (OUT-3) and POSTs it; the machine decides what the answer means.
    private func attempt(_ delivery: ClaimedDelivery) async -> DeliveryStateMachine.AttemptOutcome {
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
                    issuer: delivery.tokenIssuer ?? settings.issuer,
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
            result = await sender.send(token: minted.token, to: delivery.uri, timeout: settings.machine.attemptTimeout)
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

    /// Stores a pass's outcomes in one write. When that write fails, each is tried alone, so one
    /// outcome the store refuses does not hold back the others.
    private func store(_ reports: [AttemptReport]) async {
        var events: [Event] = []
        do {
            try await queue.recordAttempts(reports)
            events = reports.map(stored)
        } catch  where reports.count > 1 {
            for report in reports { events.append(await store(alone: report)) }
        } catch {
            events = [failedToStore(reports[0], error)]
        }
        inbox.withLock { $0.append(contentsOf: events) }
        waker.signal()
    }

    private func store(alone report: AttemptReport) async -> Event {
        do {
            try await queue.recordAttempts([report])
            return stored(report)
        } catch {
            return failedToStore(report, error)
        }
    }

    /// The lease expires and the delivery is attempted again: at least once, never lost.
    private func failedToStore(_ report: AttemptReport, _ error: any Error) -> Event {
        logger.error(
            "cannot record a delivery attempt",
            metadata: ["delivery.id": "\(report.deliveryID)", "error": "\(error)"]
        )
        return .recorded(report.deliveryID, stored: false)
    }

    private func stored(_ report: AttemptReport) -> Event {
        log(report)
        count(report)
        return .recorded(report.deliveryID, stored: true)
    }
}
