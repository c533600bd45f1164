import Foundation

/// The fault tests (issue 25, docs/scale-out.md) kill, pause and cut off real replicas for tens
/// of seconds each, with network namespaces that need root: they run when asked,
/// `LOGOUTD_FAULTS=1` (scripts/faults, which .ci/run runs after the suite).
public enum FaultTests {
    public static var requested: Bool { ProcessInfo.processInfo.environment["LOGOUTD_FAULTS"] == "1" }
}
