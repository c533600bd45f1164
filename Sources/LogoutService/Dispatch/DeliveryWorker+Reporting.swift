import Logging
import LogoutCore

/// What an operator reads of each stored delivery outcome: one log line, and the metrics.
extension DeliveryWorker {
    func count(_ report: AttemptReport) {
        if let attempt = report.attempt {
            let result = attempt.errorClass?.rawValue ?? (report.transition.status == .delivered ? "success" : "other")
            metrics.attempt(clientID: report.clientID, result: result, duration: attempt.duration)
        }
        if report.transition.status.isFinal {
            metrics.deliveryFinished(clientID: report.clientID, outcome: report.transition.status)
        }
    }

    /// One line per outcome through the outcome log (ADM-4): delivered, retrying and skipped at
    /// debug with a summary per RP per window; a failure in full, the first few per RP per
    /// window, then "more deliveries failed".
    func log(_ report: AttemptReport) {
        let transition = report.transition
        // Made only for a line that is written: most delivered ones are only counted in the
        // digest, and formatting their fields was 1 % of a fan-out's instructions.
        func metadata(_ extra: Logger.Metadata = [:]) -> Logger.Metadata {
            var metadata: Logger.Metadata = [
                "delivery.id": "\(report.deliveryID)", "event.id": "\(report.eventID)",
                "rp.client_id": "\(report.clientID)", "attempt": "\(transition.attempts)",
                "http.status": "\(transition.lastStatusCode.map(String.init) ?? "-")",
            ]
            if let attempt = report.attempt { metadata["duration_ms"] = "\(attempt.duration.wholeMilliseconds)" }
            // Written after the outcome is stored, outside the attempt's span: named here.
            if let traceID = report.attempt?.traceID { metadata["trace_id"] = "\(traceID)" }
            return metadata.merging(extra) { _, new in new }
        }
        let cause = transition.lastStatusCode.map { "HTTP \($0)" } ?? transition.errorClass?.rawValue
        switch transition.status {
        case .delivered:
            outcomes.record(.succeeded, key: report.clientID, "delivered", level: .info, metadata: metadata())
        case .retrying:
            outcomes.record(
                .retrying,
                key: report.clientID,
                cause: cause,
                nextAttemptAt: transition.nextAttemptAt,
                "delivery attempt failed; will retry",
                level: .info,
                metadata: metadata(["error_class": "\(transition.errorClass?.rawValue ?? "-")"])
            )
        case .skipped:
            outcomes.record(
                .skipped,
                key: report.clientID,
                cause: transition.reason,
                "delivery skipped",
                level: .info,
                metadata: metadata(["reason": "\(transition.reason ?? "-")"])
            )
        case .failed, .pending:
            outcomes.record(
                .failed,
                key: report.clientID,
                cause: cause,
                "delivery failed",
                level: .warning,
                metadata: metadata(["reason": "\(transition.reason ?? "-")"])
            )
        }
    }
}
