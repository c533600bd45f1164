import Synchronization

/// Wakes the dispatcher loop: when a logout was recorded, when an attempt finished, or when a
/// timeout passes. Signals that arrive while nobody waits are remembered (one is enough).
final class Waker: Sendable {
    private struct State {
        var pending = false
        var waiter: CheckedContinuation<Void, Never>?
    }

    private let state = Mutex(State())

    init() {}

    func signal() {
        let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
            if let waiter = state.waiter {
                state.waiter = nil
                return waiter
            }
            state.pending = true
            return nil
        }
        waiter?.resume()
    }

    /// Returns at the first signal, or at `deadline` on `clock`.
    func wait<C: Clock>(until deadline: C.Instant, on clock: C) async {
        if let pending = state.withLock({ state -> Bool? in
            guard state.pending else { return nil }
            state.pending = false
            return true
        }), pending {
            return
        }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForSignal() }
            group.addTask { try? await clock.sleep(until: deadline, tolerance: nil) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForSignal() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state -> Bool in
                    if state.pending {
                        state.pending = false
                        return true
                    }
                    if Task.isCancelled { return true }
                    state.waiter = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state -> CheckedContinuation<Void, Never>? in
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}

/// The wake-ups of the queue engines, one per kind of job: whoever queues work wakes the engine
/// that runs it, and only that one (a wake-up costs the engine a claim).
final class QueueWakers: Sendable {
    let deliveries = Waker()
    let revocations = Waker()
    /// The SSF fan-out: every logout that queued deliveries may owe streams a SET.
    let securityEvents = Waker()
    /// The SET push engine: SETs stored, streams enabled or changed.
    let securityEventPushes = Waker()
    /// Our streams at upstream transmitters: the admin changed one.
    let upstreamStreams = Waker()

    init() {}

    /// A logout was recorded with this much work due now.
    func queued(deliveries: Int, revocations: Int) {
        if deliveries > 0 {
            self.deliveries.signal()
            securityEvents.signal()
        }
        if revocations > 0 { self.revocations.signal() }
    }

    /// Another replica queued something (`LISTEN/NOTIFY` does not say what).
    func all() {
        deliveries.signal()
        revocations.signal()
        securityEvents.signal()
        securityEventPushes.signal()
    }
}
