/// What a receiver's answer to a pushed SET means (RFC 8935 §2.2–§2.4, SSF-4), in the verdicts
/// of the deliveries' queue, so a SET push is one more job kind of the same engine.
///
/// | answer                      | verdict                        | why                                     |
/// |-----------------------------|--------------------------------|-----------------------------------------|
/// | 202                         | delivered                      | RFC 8935 §2.2                           |
/// | other 2xx                   | delivered, non-standard        | taken; sending again would duplicate it |
/// | 400                         | permanent, `err: description`  | §2.3: refused; it would be again        |
/// | 3xx                         | permanent                      | redirects are never followed (DEL-2)    |
/// | 401, 403, 404, 429, 5xx, network | retry with backoff        | §2: "potentially recoverable" (below)   |
///
/// A 401 or 404 is retried within the retry window: the receiver fixes its token or endpoint by
/// updating the stream (each attempt should read the stream's delivery anew for this to work).
///
/// A 400 without RFC 8935's JSON body (a proxy's page, an empty body) is still permanent: 400
/// says the request is wrong, and it will be the same request next time. Its reason says the
/// body was missing, so the attempt log shows which kind of 400 it was.
public enum PushAnswer {
    /// `rpError` of an answer is the receiver's error object as `SETErrorBody.description` put it
    /// (`err: description`), or nil when the body held none.
    public static func classify(_ result: AttemptResult) -> DeliveryClassifier.Verdict {
        // Network failures, blocked addresses and redirects mean what they mean for a delivery.
        guard case .response(let answer) = result, !(300..<400).contains(answer.status) else {
            return DeliveryClassifier.classify(result)
        }
        let status = answer.status
        switch status {
        case 202:
            return .delivered(standard: true)
        case 200..<300:
            return .delivered(standard: false)
        case 400:
            let reason = answer.rpError.map { "HTTP 400: \($0)" } ?? "HTTP 400 without an RFC 8935 error object"
            return .permanent(.http4xx, reason: reason)
        default:
            let errorClass: ErrorClass = (400..<500).contains(status) ? .http4xx : .http5xx
            return .retryable(
                (400..<600).contains(status) ? errorClass : .connection,
                reason: "HTTP \(status)" + (answer.rpError.map { ": \($0)" } ?? ""),
                retryAfter: DeliveryClassifier.parseRetryAfter(answer.retryAfter)
            )
        }
    }
}
