import Logging
import LogoutCore
import Synchronization

/// The journal's side of ADM-4: each outcome's own line goes out at its level or at debug, as an
/// `OutcomeDigest` decides, and the digest's summaries go out when their window closes
/// (`OutcomeLogService` asks every second, and once more at the stop).
final class OutcomeLog: Sendable {
    /// What the lines of one kind of outcome say.
    struct Vocabulary: Sendable {
        /// The metadata key of the digest's key: `rp.client_id`, `issuer`.
        var keyField: String
        /// The metadata key of the summaries' amount (`deliveries`), if they add one up.
        var amountField: String?
        /// The summary line of each kind, and its level.
        var summaries: [OutcomeDigest.Kind: (message: String, level: Logger.Level)]
    }

    let vocabulary: Vocabulary
    private let digest: Mutex<OutcomeDigest>
    private let now: @Sendable () -> Timestamp
    private let logger: Logger

    init(
        _ vocabulary: Vocabulary,
        settings: OutcomeDigest.Settings = .standard,
        now: @escaping @Sendable () -> Timestamp,
        logger: Logger
    ) {
        self.vocabulary = vocabulary
        digest = Mutex(OutcomeDigest(settings: settings))
        self.now = now
        self.logger = logger
    }

    /// Counts one outcome and writes its own line: at `level` when it is one of its key's
    /// individual lines of the window, at debug when a summary will stand for it.
    func record(
        _ kind: OutcomeDigest.Kind,
        key: String,
        cause: String? = nil,
        amount: Int = 0,
        nextAttemptAt: Timestamp? = nil,
        _ message: String,
        level: Logger.Level,
        metadata: @autoclosure () -> Logger.Metadata
    ) {
        let time = now()
        let decision = digest.withLock {
            $0.note(kind, key: key, cause: cause, amount: amount, nextAttemptAt: nextAttemptAt, now: time)
        }
        logger.log(level: decision == .log ? level : .debug, "\(message)", metadata: metadata())
    }

    /// Writes the summaries of a closed window; with `all`, of the open one too (at the stop).
    func flush(all: Bool = false) {
        let time = now()
        let summaries = digest.withLock { all ? $0.flushAll() : $0.flush(now: time) }
        for summary in summaries { write(summary) }
    }

    private func write(_ summary: OutcomeDigest.Summary) {
        guard let line = vocabulary.summaries[summary.kind] else { return }
        var metadata: Logger.Metadata = ["count": "\(summary.count)", "since": "\(summary.since.rfc3339)"]
        if let key = summary.key {
            metadata[vocabulary.keyField] = "\(key)"
        } else {
            metadata["other_keys"] = "\(summary.keys)"
        }
        if let field = vocabulary.amountField { metadata[field] = "\(summary.amount)" }
        if !summary.causes.isEmpty { metadata["causes"] = "\(summary.causesText)" }
        if let next = summary.nextAttemptAt { metadata["next_attempt"] = "\(next.rfc3339)" }
        logger.log(level: line.level, "\(line.message)", metadata: metadata)
    }
}

/// ADM-4's digests in the daemon: deliveries by RP, revocations and accepted logouts by issuer,
/// SET pushes by receiver.
struct OutcomeLogs: Sendable {
    let deliveries: OutcomeLog
    let revocations: OutcomeLog
    let logouts: OutcomeLog
    let securityEvents: OutcomeLog

    var all: [OutcomeLog] { [deliveries, revocations, logouts, securityEvents] }

    init(settings: OutcomeDigest.Settings = .standard, now: @escaping @Sendable () -> Timestamp, logger: Logger) {
        deliveries = OutcomeLog(
            .init(
                keyField: "rp.client_id",
                summaries: [
                    .succeeded: ("deliveries delivered", .info),
                    .retrying: ("delivery attempts failed; will retry", .warning),
                    .skipped: ("deliveries skipped", .info),
                    .failed: ("more deliveries failed", .warning),
                ]
            ),
            settings: settings,
            now: now,
            logger: logger
        )
        revocations = OutcomeLog(
            .init(
                keyField: "issuer",
                summaries: [
                    .succeeded: ("upstream tokens revoked", .info),
                    .retrying: ("revocation attempts failed; will retry", .warning),
                    .failed: ("more revocations failed", .warning),
                ]
            ),
            settings: settings,
            now: now,
            logger: logger
        )
        securityEvents = OutcomeLog(
            .init(
                keyField: "receiver",
                summaries: [
                    .succeeded: ("SETs pushed", .info),
                    .retrying: ("SET pushes failed; will retry", .warning),
                    .failed: ("more SET pushes failed", .warning),
                ]
            ),
            settings: settings,
            now: now,
            logger: logger
        )
        logouts = OutcomeLog(
            .init(
                keyField: "issuer",
                amountField: "deliveries",
                summaries: [.succeeded: ("logouts accepted", .info)]
            ),
            settings: settings,
            now: now,
            logger: logger
        )
    }
}
