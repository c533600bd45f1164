import Logging
import Synchronization

/// How many lines this process wrote, by level, for `logoutd_log_lines_total`: an operator (and
/// scripts/systemd-check) compares them with what the journal kept, so a line journald dropped
/// shows. Process-wide, like the logging system it counts for.
public final class LogLineCounts: Sendable {
    public static let shared = LogLineCounts()

    private let counts = Mutex<[Logger.Level: Int]>([:])

    public init() {}

    func add(_ level: Logger.Level) {
        counts.withLock { $0[level, default: 0] += 1 }
    }

    /// Lines written so far, by level.
    public var snapshot: [Logger.Level: Int] { counts.withLock { $0 } }
}

/// Counts each line its handler writes (those at or above the handler's level), then hands it on.
public struct CountingLogHandler<Wrapped: LogHandler>: LogHandler {
    public var wrapped: Wrapped
    let counts: LogLineCounts

    public init(_ wrapped: Wrapped, counts: LogLineCounts = .shared) {
        self.wrapped = wrapped
        self.counts = counts
    }

    public var logLevel: Logger.Level {
        get { wrapped.logLevel }
        set { wrapped.logLevel = newValue }
    }

    public var metadata: Logger.Metadata {
        get { wrapped.metadata }
        set { wrapped.metadata = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { wrapped.metadataProvider }
        set { wrapped.metadataProvider = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { wrapped[metadataKey: key] }
        set { wrapped[metadataKey: key] = newValue }
    }

    public func log(event: LogEvent) {
        counts.add(event.level)
        wrapped.log(event: event)
    }
}
