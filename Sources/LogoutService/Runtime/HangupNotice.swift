import Logging
import ServiceLifecycle
import UnixSignals

/// SIGHUP's default action ends the process, and systemd counts that as a clean exit, which
/// `Restart=on-failure` does not restart: a stray `kill -HUP` (or a `systemctl reload` forced
/// through) would leave logoutd down. Nothing is re-read on SIGHUP (the configuration is read
/// once, at start), so the signal is trapped and said to change nothing.
struct HangupNotice: Service {
    let logger: Logger

    func run() async throws {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        for await _ in hangups.cancelOnGracefulShutdown() {
            logger.warning(
                "SIGHUP changes nothing: the configuration is read at start; restart logoutd to apply a change"
            )
        }
    }
}
