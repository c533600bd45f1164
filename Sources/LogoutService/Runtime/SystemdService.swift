import Logging
import ServiceLifecycle

/// Tells systemd (`Type=notify`) when logoutd is ready, that it is alive, and that it is stopping.
///
/// `READY=1` waits for both listeners: the database is open and the keys are loaded before the
/// service group starts. `WATCHDOG=1` is sent only when the dispatcher completed a healthy pass
/// since the previous ping; each ping also wakes the dispatcher, so an idle daemon proves itself
/// within one period, and a wedged one goes silent until systemd restarts it.
struct SystemdService: Service {
    let notifier: SystemdNotifier
    let watchdog: Duration?
    let listenersBound: AsyncStream<Void>
    let heartbeat: Heartbeat
    let wakeDispatcher: @Sendable () -> Void
    let logger: Logger

    func run() async throws {
        let ready = await cancelWhenGracefulShutdown { () async -> Bool in
            for await _ in listenersBound { return true }
            return false
        }
        if ready == true, !Task.isShuttingDownGracefully {
            notify("READY=1\nSTATUS=accepting logouts")
            if let watchdog {
                await ping(every: watchdog / 2)
            } else {
                try? await gracefulShutdown()
            }
        }
        notify("STOPPING=1\nSTATUS=draining deliveries")
    }

    private func ping(every period: Duration) async {
        var seen = heartbeat.count
        var silent = false
        wakeDispatcher()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: period) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            let count = heartbeat.count
            if count != seen {
                notify("WATCHDOG=1")
                if silent { logger.notice("the dispatcher is making progress again; watchdog pings resumed") }
                seen = count
                silent = false
            } else if !silent {
                logger.error(
                    "the dispatcher made no progress; watchdog pings withheld, systemd restarts logoutd if it stays stuck"
                )
                silent = true
            }
            wakeDispatcher()
        }
    }

    private func notify(_ state: String) {
        do {
            try notifier.send(state)
        } catch {
            logger.warning("cannot notify systemd", metadata: ["error": "\(error)"])
        }
    }
}
