/// Sorts an attempt's result into delivered, permanent failure or retryable failure (DEL-2, DEL-4
/// to DEL-6).
public enum DeliveryClassifier {
    public enum Verdict: Sendable, Equatable {
        /// `standard` is false for 2xx answers other than 200 and 204.
        case delivered(standard: Bool)
        case permanent(ErrorClass, reason: String)
        /// `retryAfter`: the delay the RP asked for, if any.
        case retryable(ErrorClass, reason: String, retryAfter: Duration?)
    }

    static let permanentStatuses: Set<Int> = [400, 401, 403, 404, 405, 410, 413, 415, 422, 501]
    static let retryableStatuses: Set<Int> = [408, 425, 429, 500, 502, 503, 504]

    public static func classify(_ result: AttemptResult) -> Verdict {
        switch result {
        case .transportFailure(let errorClass, let detail) where errorClass == .blocked || errorClass == .signing:
            // Trying again cannot change a refused address or a missing key.
            return .permanent(errorClass, reason: detail)
        case .transportFailure(let errorClass, let detail):
            return .retryable(errorClass, reason: detail, retryAfter: nil)
        case .response(let answer):
            return classify(answer)
        }
    }

    static func classify(_ answer: HTTPAnswer) -> Verdict {
        let status = answer.status
        let detail = answer.rpError.map { ": \($0)" } ?? ""
        switch status {
        case 200, 204:
            return .delivered(standard: true)
        case 200..<300:
            return .delivered(standard: false)
        case 300..<400:
            let target = answer.location.map { " to \($0)" } ?? ""
            return .permanent(.redirect, reason: "HTTP \(status) redirect\(target) (redirects are never followed)")
        case _ where retryableStatuses.contains(status):
            let errorClass: ErrorClass = status >= 500 ? .http5xx : .http4xx
            return .retryable(
                errorClass,
                reason: "HTTP \(status)\(detail)",
                retryAfter: parseRetryAfter(answer.retryAfter)
            )
        case _ where permanentStatuses.contains(status):
            let errorClass: ErrorClass = status >= 500 ? .http5xx : .http4xx
            return .permanent(errorClass, reason: "HTTP \(status)\(detail)")
        case 400..<500:
            return .permanent(.http4xx, reason: "HTTP \(status)\(detail)")
        case 500..<600:
            return .retryable(
                .http5xx,
                reason: "HTTP \(status)\(detail)",
                retryAfter: parseRetryAfter(answer.retryAfter)
            )
        default:
            return .retryable(.connection, reason: "unexpected HTTP status \(status)", retryAfter: nil)
        }
    }

    /// `Retry-After` as delay-seconds. An HTTP-date is ignored: it depends on the RP's clock.
    static func parseRetryAfter(_ value: String?) -> Duration? {
        guard let value = value?.trimmingWhitespace(), !value.isEmpty, value.utf8.allSatisfy({ (48...57).contains($0) })
        else { return nil }
        return Int64(value.prefix(9)).map { .seconds($0) }
    }
}

extension String {
    func trimmingWhitespace() -> Substring {
        var slice = self[...]
        while let first = slice.first, first.isWhitespace { slice.removeFirst() }
        while let last = slice.last, last.isWhitespace { slice.removeLast() }
        return slice
    }
}
