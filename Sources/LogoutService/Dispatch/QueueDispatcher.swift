import Logging
import LogoutCore
import ServiceLifecycle
import Synchronization

/// The shell around `QueueStateMachine`, for every kind of job: it performs the machine's
/// actions against the queue and the job's own I/O (`Worker`) and feeds their results back,
/// nothing more (rulebook sections 3 to 5). Deliveries and revocations run on it alike, with
/// the same caps, slow start, leases, wake-ups and graceful drain.
///
/// Attempts and the storing of their outcomes run as child tasks of `run()` (Swift concurrency,
/// libdispatch on Linux); they report through an inbox and the `Waker`, so the machine is only
/// ever driven from the loop.
final class QueueDispatcher<Kind: QueueJobKind>: Service {
    typealias Machine = QueueStateMachine<Kind>

    /// The queue in the store: what the machine's actions ask of it.
    struct Queue: Sendable {
        var claim: @Sendable (ClaimRequest, Timestamp) async throws -> [Kind.Job]
        /// Returns the jobs whose outcome was dropped: no longer under the lease it was
        /// attempted under (`QueueDispatcher+Outcomes`).
        var record: @Sendable ([Kind.Report]) async throws -> [Int64]
        var release: @Sendable ([Int64], Timestamp) async throws -> Void
        var nextDueAt: @Sendable () async throws -> Timestamp?
        var boundDueTimes: @Sendable (Timestamp, Duration) async throws -> Int
    }

    /// What is particular to the kind: its attempt, and what an operator reads of its outcomes.
    struct Worker: Sendable {
        /// For log lines: `delivery` / `deliveries`, `revocation` / `revocations`.
        var singular: String
        var plural: String
        var attempt: @Sendable (Kind.Job) async -> Machine.AttemptOutcome
        var jobID: @Sendable (Kind.Report) -> Int64
        /// An outcome is stored: log it and count it.
        var stored: @Sendable (Kind.Report) -> Void
    }

    /// What a child task reports to the loop.
    enum Event: Sendable {
        case finished(Machine.AttemptOutcome)
        case recorded(Int64, stored: Bool)
        /// The attempt's task began after the job's start deadline: nothing was sent.
        case notStarted(Kind.Job)
    }

    let queue: Queue
    let worker: Worker
    private let settings: QueueSettings
    let waker: Waker
    private let heartbeat: Heartbeat?
    private let wallClock: @Sendable () -> Timestamp
    let logger: Logger
    let inbox = Mutex<[Event]>([])
    private let clock = ContinuousClock()

    init(
        queue: Queue,
        worker: Worker,
        settings: QueueSettings,
        waker: Waker,
        heartbeat: Heartbeat? = nil,
        wallClock: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) {
        self.queue = queue
        self.worker = worker
        self.settings = settings
        self.waker = waker
        self.heartbeat = heartbeat
        self.wallClock = wallClock
        self.logger = logger
    }

    private var now: Machine.Now { .init(wall: wallClock(), monotonic: clock.now) }

    // Specialized for each kind: `run()` is reached through `Service`'s generic witness, and
    // the unspecialized engine (generic dictionaries of jobs in every step) cost about a tenth of
    // the CPU of a delivery. The generic entry checks the type and jumps to these.
    @_specialize(where Kind == DeliveryJobs)
    @_specialize(where Kind == RevocationJobs)
    @_specialize(where Kind == SecurityEventJobs)
    func run() async throws {
        let stopRequested = Atomic<Bool>(false)
        var machine = Machine(settings: settings)
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
                    var outcomes: [Kind.Report] = []
                    var stop = false
                    // Taken in order by index, not `removeFirst()`: that moves the whole rest of
                    // the list each time, and a claim of many jobs makes a long list (callgrind:
                    // 4 % of a fan-out's instructions went to moving it).
                    var next = 0
                    while next < actions.count {
                        let action = actions[next]
                        next += 1
                        switch action {
                        case .stop:
                            stop = true
                        case .sleep(let until):
                            sleepUntil = until
                        case .record(let report):
                            outcomes.append(report)
                        case .releaseLeases:
                            // Outcomes first: a lease handed back before its job's outcome is
                            // stored would lose the outcome (PostgreSQL checks the lease) or its
                            // due time, and a job handed back at a breaker's threshold must not
                            // be claimable (by any replica) before the failure that opens it is
                            // stored.
                            if !outcomes.isEmpty {
                                await self.shielded(outcomes)
                                outcomes = []
                            }
                            actions += await perform(
                                action,
                                machine: &machine,
                                group: &group,
                                storeFailed: &storeFailed
                            )
                        default:
                            actions += await perform(
                                action,
                                machine: &machine,
                                group: &group,
                                storeFailed: &storeFailed
                            )
                        }
                    }
                    actions.removeAll(keepingCapacity: true)
                    // Every outcome of this pass goes to the store in one write; at the stop,
                    // before leaving.
                    if !outcomes.isEmpty {
                        let batch = outcomes
                        if stop {
                            await self.shielded(batch)
                        } else {
                            group.addTask { await self.shielded(batch) }
                        }
                    }
                    if stop { return }
                    // A pass that reached its sleep with the store answering is progress: the
                    // systemd watchdog pings on it (a wedged loop or a refusing store stops it).
                    if !storeFailed { heartbeat?.beat() }
                    if let sleepUntil { await waker.wait(until: sleepUntil, on: clock) }
                    for event in inbox.withLock({ events in
                        defer { events = [] }; return events
                    }) {
                        switch event {
                        case .finished(let outcome):
                            actions += machine.attemptFinished(outcome, now: now, using: &generator)
                        case .recorded(let id, _):
                            actions += machine.recorded(id, now: now)
                        case .notStarted(let job):
                            actions += machine.notStarted(job, now: now)
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
        _ action: Machine.Action,
        machine: inout Machine,
        group: inout DiscardingTaskGroup,
        storeFailed: inout Bool
    ) async -> [Machine.Action] {
        switch action {
        case .claim(let request):
            do {
                let claimed = try await queue.claim(request, now.wall)
                return machine.claimed(claimed, limit: request.limit, now: now)
            } catch {
                logger.error("cannot claim \(worker.plural)", metadata: ["error": "\(error)"])
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
        case .start(let jobs):
            for job in jobs {
                let deadline = machine.startDeadline(for: job.id)
                group.addTask {
                    // Checked again as the attempt begins: this process may have been paused
                    // between the decision and this task.
                    if let deadline, !self.now.isNotAfter(deadline) {
                        self.report(.notStarted(job))
                        return
                    }
                    let outcome = await self.worker.attempt(job)
                    if Task.isCancelled { return }  // a stop: the lease is handed back
                    self.report(.finished(outcome))
                }
            }
        case .boundDueTimes(let latest):
            let moved = (try? await queue.boundDueTimes(now.wall, latest)) ?? 0
            logger.warning(
                "the wall clock stepped back; due times beyond the longest backoff were brought forward",
                metadata: ["\(worker.plural)": "\(moved)"]
            )
        case .releaseLeases(let ids):
            do {
                try await queue.release(ids, now.wall)
            } catch {
                logger.warning("cannot hand leases back; they expire by themselves", metadata: ["error": "\(error)"])
            }
        case .leaseExpired(let ids):
            logger.warning(
                "claimed \(worker.plural) not started: their leases ran out while they waited (was this process paused?)",
                metadata: [
                    "count": "\(ids.count)",
                    "\(worker.singular).ids": "\(ids.prefix(20).map(String.init).joined(separator: ","))",
                ]
            )
        case .cancelAttempts:
            logger.warning(
                "cancelling attempts at shutdown",
                metadata: ["count": "\(machine.inFlightTotal)", "queue": "\(worker.plural)"]
            )
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
}
