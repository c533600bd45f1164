import Logging

/// swift-log straight into journald's native protocol, so every metadata key is a journal field
/// an operator can filter on: `journalctl -u logoutd EVENT_ID=42`, `RP_CLIENT_ID=shop`,
/// `RULE=IN-4`. Messages are constant strings; the data is in the fields (`event.id` becomes
/// `EVENT_ID`).
///
/// Chosen at start when systemd connected our output to the journal (`$JOURNAL_STREAM`); a line
/// the journal socket refuses goes to standard error instead, so nothing is silently lost.
public struct JournalLogHandler: LogHandler {
    public static let defaultSocket = "/run/systemd/journal/socket"

    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    let label: String
    let socketPath: String
    let fallback: StreamLogHandler

    public init(label: String, level: Logger.Level, socketPath: String = Self.defaultSocket) {
        self.label = label
        logLevel = level
        self.socketPath = socketPath
        var fallback = StreamLogHandler.standardError(label: label)
        fallback.logLevel = level
        self.fallback = fallback
    }

    /// Whether standard error is the journal: systemd sets `JOURNAL_STREAM` for a unit's output.
    public static func isJournal(environment: [String: String]) -> Bool {
        environment["JOURNAL_STREAM"].map { !$0.isEmpty } ?? false
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields = metadata
        if let provided = metadataProvider?.get() { fields.merge(provided) { $1 } }
        if let extra = event.metadata { fields.merge(extra) { $1 } }
        let entry = Self.entry(
            message: event.message.description,
            level: event.level,
            fields: fields,
            identifier: label,
            source: (event.file, event.function, event.line)
        )
        do {
            try UnixDatagram.send(entry, to: socketPath)
        } catch {
            fallback.log(event: event)
        }
    }

    /// One journal entry: `FIELD=value` lines, or the binary form (name, newline, 64-bit
    /// little-endian length, bytes) for a value that contains a newline.
    static func entry(
        message: String,
        level: Logger.Level,
        fields: Logger.Metadata,
        identifier: String,
        source: (file: String, function: String, line: UInt)
    ) -> [UInt8] {
        var bytes: [UInt8] = []
        func add(_ name: String, _ value: String) {
            let data = Array(value.utf8.prefix(16 << 10))
            bytes += Array(name.utf8)
            if data.contains(UInt8(ascii: "\n")) {
                bytes.append(UInt8(ascii: "\n"))
                withUnsafeBytes(of: UInt64(data.count).littleEndian) { bytes += $0 }
            } else {
                bytes.append(UInt8(ascii: "="))
            }
            bytes += data
            bytes.append(UInt8(ascii: "\n"))
        }
        add("MESSAGE", message)
        add("PRIORITY", String(priority(level)))
        add("SYSLOG_IDENTIFIER", identifier)
        add("CODE_FILE", source.file)
        add("CODE_LINE", String(source.line))
        add("CODE_FUNC", source.function)
        for (key, value) in fields.sorted(by: { $0.key < $1.key }) {
            guard let name = fieldName(key) else { continue }
            add(name, "\(value)")
        }
        return bytes
    }

    /// `event.id` → `EVENT_ID`: upper-case letters, digits and `_`, not starting with `_`
    /// (reserved for journald's trusted fields) or a digit; `nil` when nothing usable is left.
    static func fieldName(_ key: String) -> String? {
        var name = String(
            key.uppercased().unicodeScalars.map { scalar -> Character in
                ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) ? Character(scalar) : "_"
            }
        )
        while name.first == "_" || name.first?.isNumber == true { name.removeFirst() }
        name = String(name.prefix(64))
        let reserved: Set<String> = ["MESSAGE", "PRIORITY", "SYSLOG_IDENTIFIER", "CODE_FILE", "CODE_LINE", "CODE_FUNC"]
        guard !name.isEmpty, !reserved.contains(name) else { return nil }
        return name
    }

    /// syslog(3) priorities, as journald expects them.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }
}
