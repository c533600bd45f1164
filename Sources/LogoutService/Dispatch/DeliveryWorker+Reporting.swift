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

    func log(_ report: AttemptReport) {
        let transition = report.transition
        var metadata: Logger.Metadata = [
            "delivery.id": "\(report.deliveryID)", "event.id": "\(report.eventID)",
            "rp.client_id": "\(report.clientID)", "attempt": "\(transition.attempts)",
            "http.status": "\(transition.lastStatusCode.map(String.init) ?? "-")",
        ]
        if let attempt = report.attempt { metadata["duration_ms"] = "\(attempt.duration.wholeMilliseconds)" }
        switch transition.status {
        case .delivered:
            logger.info("delivered", metadata: metadata)
        case .retrying:
            metadata["error_class"] = "\(transition.errorClass?.rawValue ?? "-")"
            logger.info("delivery attempt failed; will retry", metadata: metadata)
        case .skipped:
            metadata["reason"] = "\(transition.reason ?? "-")"
            logger.info("delivery skipped", metadata: metadata)
        case .failed, .pending:
            metadata["reason"] = "\(transition.reason ?? "-")"
            logger.warning("delivery failed", metadata: metadata)
        }
    }
}
