import Synchronization

/// Counts the dispatcher's healthy passes, so the systemd watchdog pings only while deliveries
/// can move: a loop that is wedged, or whose store refuses every claim, stops the count and
/// systemd restarts the daemon.
final class Heartbeat: Sendable {
    private let beats = Atomic<UInt64>(0)

    init() {}

    func beat() { beats.add(1, ordering: .releasing) }

    var count: UInt64 { beats.load(ordering: .acquiring) }
}
