import Logging
import LogoutCore
import LogoutDelivery
import LogoutJWT
import ServiceLifecycle

/// Runs our own streams at registered issuers' transmitters (SSF-5, the receiver role): creates
/// each stream the admin configured, asks for its verification, and polls the poll streams,
/// applying each SET through the same intake as a pushed one before acknowledging it.
///
/// Nothing is lost or applied twice across restarts: a SET is acknowledged only after the
/// intake committed it, so one applied but not acknowledged before a stop comes again and is
/// recognised by its `jti` (acknowledged, nothing changes). Each stream runs on the replica
/// holding its lease; the others look again when the lease would have run out.
struct UpstreamStreamService: Service {
    let store: any UpstreamStreamStore & RegistryStore
    let client: TransmitterClient
    let secrets: SecretBox
    let intake: any SecurityEventIntake
    /// Our `issuer`: where transmitters push to us, and an audience our SETs may carry.
    let publicBaseURL: String
    let allowHTTP: Bool
    /// This replica's name on the leases.
    let owner: String
    let waker: Waker
    let timing: Timing
    let now: @Sendable () -> Timestamp
    let logger: Logger

    struct Timing: Sendable {
        /// One management call (metadata, creation, verification).
        var call: Duration = .seconds(10)
        /// One long poll: the transmitter may hold it this long.
        var poll: Duration = .seconds(30)
        /// How long a lease lasts; renewed at each step, at least every `lease / 3`.
        var lease: Duration = .seconds(60)
        /// How often the list of streams is read again without a signal.
        var rescan: Duration = .seconds(10)
        /// A stream still unverified after this long asks again.
        var reverify: Duration = .seconds(300)
        /// A poll that brought nothing new, answered sooner than this, waits out the rest: a
        /// transmitter that ignores `returnImmediately: false`, says `moreAvailable` without
        /// sending more, or sends back what we refused is not polled in a tight loop.
        var minimumPollInterval: Duration = .seconds(2)
    }

    /// SETs asked for in one poll.
    static let pollBatch = 50

    func run() async throws {
        let clock = ContinuousClock()
        var running: [String: (generation: Int64, task: Task<Void, Never>)] = [:]
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                let streams = try await store.upstreamStreams()
                let current = Dictionary(uniqueKeysWithValues: streams.map { ($0.issuerName, $0.generation) })
                for (issuer, entry) in running where current[issuer] != entry.generation {
                    entry.task.cancel()
                    running[issuer] = nil
                }
                for stream in streams where running[stream.issuerName] == nil {
                    let (issuer, generation) = (stream.issuerName, stream.generation)
                    running[issuer] = (
                        generation, Task { await self.runStream(issuer: issuer, generation: generation) }
                    )
                }
            } catch {
                logger.warning("SSF upstream streams cannot be read; retried", metadata: ["error": "\(error)"])
            }
            await cancelWhenGracefulShutdown {
                await waker.wait(until: clock.now.advanced(by: timing.rescan), on: clock)
            }
        }
        for entry in running.values { entry.task.cancel() }
        for entry in running.values { await entry.task.value }
        // The leases given back from here, not from the cancelled tasks (whose store calls
        // would fail): another replica goes on at once. Only this replica's lease is shortened.
        let at = now()
        for (issuer, entry) in running {
            _ = try? await store.leaseUpstreamStream(
                issuer: issuer,
                generation: entry.generation,
                owner: owner,
                until: at,
                now: at
            )
        }
    }

    /// One stream at one generation, until it changes, goes, or the service stops. A failure
    /// to reach the store is waited out, never the end of the stream's task.
    func runStream(issuer: String, generation: Int64) async {
        var runner = Runner(issuer: issuer, generation: generation)
        while !Task.isCancelled {
            let at = now()
            do {
                let held = try await store.leaseUpstreamStream(
                    issuer: issuer,
                    generation: generation,
                    owner: owner,
                    until: at + timing.lease,
                    now: at
                )
                guard held else {
                    // Another replica runs it, or the admin changed it (the supervisor then
                    // stops this task).
                    await pause(timing.lease / 3)
                    continue
                }
                guard let stream = try await store.upstreamStream(issuer: issuer), stream.generation == generation
                else { return }
                if let wait = await step(stream, &runner) { await pause(wait) }
            } catch {
                logger.warning(
                    "SSF upstream stream cannot be read or leased; retried",
                    metadata: ["issuer": "\(issuer)", "error": "\(error)"]
                )
                await pause(timing.lease / 3)
            }
        }
    }

    func pause(_ duration: Duration) async {
        try? await Task.sleep(for: duration)
    }

    /// What a stream's task keeps between steps: the acknowledgements owed to the transmitter
    /// (sent with the next poll), the last batch's `jti`s (a batch of nothing new is not polled
    /// again at once), and the failures in a row (for the back-offs).
    struct Runner {
        let issuer: String
        let generation: Int64
        var acknowledged: [String] = []
        var errors: [String: SETErrorBody] = [:]
        var lastBatch: Set<String> = []
        var failures = 0
        var lastWarning: String?
        /// When verification is next asked for; nil: at once (a new task asks again).
        var verificationDueAt: ContinuousClock.Instant?
        var verificationFailures = 0
        /// Why the last verification request failed, kept as the stream's last error while
        /// polls go on.
        var verificationError: (text: String, at: Timestamp)?
    }
}
