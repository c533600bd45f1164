import Foundation
import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT
import LogoutStorage
import ServiceLifecycle
import Synchronization

/// Drains the durable queue: claims due deliveries under a lease, mints a fresh token per attempt,
/// POSTs it, and stores the attempt and the next state (rulebook sections 3 to 5).
///
/// The queue's state lives in SQLite; this service only holds leases. Concurrency is bounded in
/// all (`delivery.concurrency`) and per RP (`delivery.per_rp_concurrency`), so one hanging RP holds
/// at most its own slots while the others keep flowing (DEL-7). It runs as structured child tasks
/// of `run()` on Swift concurrency's executor (libdispatch on Linux).
final class DeliveryDispatcher: Service {
    struct Settings: Sendable {
        var issuer: String
        var timeout: Double
        var concurrency: Int
        var perRPConcurrency: Int
        var retryPolicy: RetryPolicy
        var shutdownTimeout: Double
        /// How long an idle loop sleeps before looking at the queue again, at most.
        var idlePoll: Double = 5
        /// How soon to look again when due work could not be claimed.
        var busyPoll: Double = 0.02

        /// A lease outlives the longest attempt, so a delivery is never taken twice while alive.
        var leaseSeconds: Double { timeout + 30 }
    }

    private let database: LogoutDatabase
    private let sender: DeliverySender
    private let minter: LogoutTokenMinter
    private let secrets: SecretBox
    private let settings: Settings
    private let waker: Waker
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// What the dispatcher holds in memory; the truth stays in SQLite.
    struct Holdings {
        /// HTTP attempts running, per RP.
        var inFlight: [String: Int] = [:]
        /// Claimed (leased) deliveries waiting for a slot of their RP, oldest first.
        var waiting: [String: [ClaimedDelivery]] = [:]
        /// Every delivery leased and not yet recorded: handed back at a stop.
        var leased: Set<Int64> = []

        var inFlightTotal: Int { inFlight.values.reduce(0, +) }
        var waitingTotal: Int { waiting.values.reduce(0) { $0 + $1.count } }
    }

    private let holdings = Mutex(Holdings())

    init(
        database: LogoutDatabase,
        sender: DeliverySender,
        minter: LogoutTokenMinter,
        secrets: SecretBox,
        settings: Settings,
        waker: Waker,
        now: @escaping @Sendable () -> Date,
        logger: Logger
    ) {
        self.database = database
        self.sender = sender
        self.minter = minter
        self.secrets = secrets
        self.settings = settings
        self.waker = waker
        self.now = now
        self.logger = logger
    }

    func run() async throws {
        let stopping = Atomic<Bool>(false)
        await withDiscardingTaskGroup { group in
            await withGracefulShutdownHandler {
                var rotation = 0
                while !stopping.load(ordering: .acquiring) && !Task.isCancelled {
                    let wait = await claimAndStart(into: &group, rotation: rotation)
                    rotation &+= 1
                    if stopping.load(ordering: .acquiring) { break }
                    await waker.wait(upTo: wait)
                }
            } onGracefulShutdown: {
                stopping.store(true, ordering: .releasing)
                self.waker.signal()
            }
            await drain(group: &group)
        }
    }

    /// Starts what can start now and returns how long to wait before looking again.
    ///
    /// A claim is a committed write, and a commit costs an fsync, so claims are made in batches:
    /// each RP may hold up to twice its concurrency (in flight plus waiting for a slot). Waiting
    /// deliveries start as slots free up, without another claim. One round of waiting is at most
    /// one attempt timeout, well inside the lease, so a lease never expires while we hold it.
    private func claimAndStart(into group: inout DiscardingTaskGroup, rotation: Int) async -> Double {
        startWaiting(into: &group)
        let (counts, buffered) = holdings.withLock { holdings in
            var counts = holdings.inFlight
            for (clientID, list) in holdings.waiting { counts[clientID, default: 0] += list.count }
            return (counts, holdings.inFlightTotal + holdings.waitingTotal)
        }
        let room = 2 * settings.concurrency - buffered
        guard room > 0 else { return settings.idlePoll }
        let claimed: [ClaimedDelivery]
        do {
            claimed = try await database.claimDue(
                now: now(),
                leaseSeconds: settings.leaseSeconds,
                limit: room,
                available: counts.mapValues { max(0, 2 * settings.perRPConcurrency - $0) },
                defaultAvailable: 2 * settings.perRPConcurrency,
                rotation: rotation
            )
        } catch {
            logger.error("cannot claim deliveries", metadata: ["error": "\(error)"])
            return 1
        }
        holdings.withLock { holdings in
            for delivery in claimed {
                holdings.waiting[delivery.clientID, default: []].append(delivery)
                holdings.leased.insert(delivery.id)
            }
        }
        startWaiting(into: &group)
        if claimed.count == room { return settings.idlePoll }
        guard let next = try? await database.nextDueAt() else { return settings.idlePoll }
        let delay = next.timeIntervalSince(now())
        // Work due now that was not claimed either became due a moment after the claim, or
        // belongs to an RP whose slots are all taken (a finishing attempt wakes us then): look
        // again shortly rather than sleeping a whole poll interval.
        return delay <= 0 ? settings.busyPoll : min(delay, settings.idlePoll)
    }

    /// Moves waiting deliveries into free slots, within the global and per-RP bounds (DEL-7).
    private func startWaiting(into group: inout DiscardingTaskGroup) {
        let ready = holdings.withLock { holdings -> [ClaimedDelivery] in
            var ready: [ClaimedDelivery] = []
            var total = holdings.inFlightTotal
            for clientID in holdings.waiting.keys.sorted() where total < settings.concurrency {
                while total < settings.concurrency, holdings.inFlight[clientID, default: 0] < settings.perRPConcurrency,
                    let next = holdings.waiting[clientID]?.first
                {
                    holdings.waiting[clientID]?.removeFirst()
                    holdings.inFlight[clientID, default: 0] += 1
                    total += 1
                    ready.append(next)
                }
                if holdings.waiting[clientID]?.isEmpty == true { holdings.waiting[clientID] = nil }
            }
            return ready
        }
        for delivery in ready {
            group.addTask {
                await self.attempt(delivery)
                self.holdings.withLock { _ = $0.leased.remove(delivery.id) }
            }
        }
    }

    /// The HTTP part of an attempt is over: its slot is free for the next delivery of that RP,
    /// even while the attempt's record is still being committed.
    private func releaseSlot(_ delivery: ClaimedDelivery) {
        holdings.withLock { holdings in
            holdings.inFlight[delivery.clientID, default: 1] -= 1
            if holdings.inFlight[delivery.clientID] == 0 { holdings.inFlight[delivery.clientID] = nil }
        }
        waker.signal()
    }

    /// Q-5: deliveries waiting for a slot are handed back at once; attempts in flight get
    /// `shutdownTimeout` to finish; the rest are cancelled and handed back too, so the next start
    /// takes them at once.
    private func drain(group: inout DiscardingTaskGroup) async {
        let waiting = holdings.withLock { holdings -> [Int64] in
            let ids = holdings.waiting.values.flatMap { $0.map(\.id) }
            holdings.waiting = [:]
            for id in ids { holdings.leased.remove(id) }
            return ids
        }
        try? await database.releaseLeases(ids: waiting, now: now())
        let deadline = ContinuousClock.now + .milliseconds(Int64(settings.shutdownTimeout * 1000))
        while !holdings.withLock({ $0.leased.isEmpty }) && ContinuousClock.now < deadline {
            await waker.wait(upTo: 0.05)
        }
        let remaining = holdings.withLock { Array($0.leased) }
        if !remaining.isEmpty {
            logger.warning("cancelling attempts at shutdown", metadata: ["count": "\(remaining.count)"])
            group.cancelAll()
            try? await database.releaseLeases(ids: remaining, now: now())
        }
    }

    private func attempt(_ delivery: ClaimedDelivery) async {
        var metadata: Logger.Metadata = [
            "delivery": "\(delivery.id)", "event": "\(delivery.eventID)", "client_id": "\(delivery.clientID)",
        ]
        if LateLogoutGuard.shouldSkip(deliverySid: delivery.sid, newerSessionExists: delivery.newerSessionExists) {
            let transition = DeliveryTransition.skipped(attempts: delivery.attempts, reason: LateLogoutGuard.reason)
            releaseSlot(delivery)
            await store(AttemptReport(deliveryID: delivery.id, attempt: nil, transition: transition), delivery)
            logger.info("delivery skipped", metadata: metadata.merging(["reason": "RES-5"]) { $1 })
            return
        }

        let started = now()
        let clock = ContinuousClock.now
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
                now: started
            )
            jti = minted.jti
            result = await sender.send(token: minted.token, to: delivery.uri, timeout: settings.timeout)
        } catch {
            result = .transportFailure(.signing, detail: "cannot mint the logout token: \(error)")
        }
        releaseSlot(delivery)
        if Task.isCancelled { return }  // shutdown: the lease is handed back by `drain`

        let elapsed = ContinuousClock.now - clock
        let finished = started.addingTimeInterval(
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        )
        var generator = SystemRandomNumberGenerator()
        let transition = DeliveryTransition.afterAttempt(
            result,
            attemptsBefore: delivery.attempts,
            createdAt: delivery.createdAt.timeIntervalSince1970,
            finishedAt: finished.timeIntervalSince1970,
            policy: settings.retryPolicy,
            using: &generator
        )
        var rpError: String?
        var statusCode: Int?
        if case .response(let answer) = result {
            rpError = answer.rpError
            statusCode = answer.status
        } else if case .transportFailure(_, let detail) = result {
            rpError = detail
        }
        let record = AttemptRecord(
            deliveryID: delivery.id,
            attempt: transition.attempts,
            startedAt: started,
            durationMilliseconds: Int(finished.timeIntervalSince(started) * 1000),
            statusCode: statusCode,
            errorClass: transition.errorClass,
            jti: jti,
            rpError: rpError,
            nextAttemptAt: transition.nextAttemptAt.map { Date(timeIntervalSince1970: $0) }
        )
        await store(AttemptReport(deliveryID: delivery.id, attempt: record, transition: transition), delivery)

        metadata["attempt"] = "\(transition.attempts)"
        metadata["status"] = "\(statusCode.map(String.init) ?? "-")"
        switch transition.status {
        case .delivered:
            logger.debug("delivered", metadata: metadata)
        case .retrying:
            metadata["error_class"] = "\(transition.errorClass?.rawValue ?? "-")"
            logger.info("delivery attempt failed; will retry", metadata: metadata)
        default:
            metadata["reason"] = "\(transition.reason ?? "-")"
            logger.warning("delivery failed", metadata: metadata)
        }
    }

    private func store(_ report: AttemptReport, _ delivery: ClaimedDelivery) async {
        do {
            try await database.recordAttempt(report)
        } catch {
            // The lease expires and the delivery is attempted again: at least once, never lost.
            logger.error(
                "cannot record a delivery attempt",
                metadata: ["delivery": "\(delivery.id)", "error": "\(error)"]
            )
        }
    }
}
