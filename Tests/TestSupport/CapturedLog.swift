import Logging
import Synchronization

/// A log handler that keeps each line, with its metadata, as text: for tests of what a line
/// holds (and what it must not).
public struct CapturedLog: LogHandler {
    public final class Lines: Sendable {
        public let all = Mutex<[String]>([])
        public init() {}
    }

    public let lines: Lines
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(lines: Lines) {
        self.lines = lines
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        let all = metadata.merging(event.metadata ?? [:]) { $1 }
        lines.all.withLock { $0.append("\(event.level) \(event.message) \(all)") }
    }
}
