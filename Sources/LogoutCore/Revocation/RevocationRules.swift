/// What a revocation attempt's answer means (BR-8, RFC 7009 §2.2 and §2.2.1).
///
/// RFC 7009 answers 200 for a revoked token and for one the server does not know (an unknown
/// token is as good as revoked), and 503 when the client should try again later. Any other
/// answer (`invalid_client`, `unsupported_token_type`, a redirect) will not change by itself: it
/// fails with the reason, for an admin to fix and retry. Network failures retry with the
/// deliveries' backoff and window.
public enum RevocationRules {
    public static func afterAttempt(
        _ result: AttemptResult,
        attemptsBefore: Int,
        createdAt: Timestamp,
        finishedAt: Timestamp,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> RevocationTransition {
        RevocationTransition(
            JobTransition.afterAttempt(
                result,
                classifiedBy: classify,
                attemptsBefore: attemptsBefore,
                createdAt: createdAt,
                finishedAt: finishedAt,
                policy: policy,
                using: &generator
            )
        )
    }

    /// RFC 7009's reading of an answer: 200 revoked; 503 (with its `Retry-After`) and network
    /// failures try again; anything else, and a blocked address or a token we cannot send,
    /// will not change by itself.
    public static func classify(_ result: AttemptResult) -> DeliveryClassifier.Verdict {
        switch result {
        case .response(let answer) where answer.status == 200:
            return .delivered(standard: true)
        case .response(let answer) where answer.status == 503:
            return .retryable(
                .http5xx,
                reason: "HTTP 503" + (answer.rpError.map { ": \($0)" } ?? ""),
                retryAfter: DeliveryClassifier.parseRetryAfter(answer.retryAfter)
            )
        case .response(let answer):
            if (300..<400).contains(answer.status) {
                let target = answer.location.map { " to \($0)" } ?? ""
                return .permanent(
                    .redirect,
                    reason: "HTTP \(answer.status) redirect\(target) (redirects are never followed)"
                )
            }
            let errorClass: ErrorClass = answer.status >= 500 ? .http5xx : .http4xx
            return .permanent(errorClass, reason: "HTTP \(answer.status)" + (answer.rpError.map { ": \($0)" } ?? ""))
        case .transportFailure(let errorClass, let detail) where errorClass == .blocked || errorClass == .signing:
            return .permanent(errorClass, reason: detail)
        case .transportFailure(let errorClass, let detail):
            return .retryable(errorClass, reason: detail, retryAfter: nil)
        }
    }

    /// A revocation that cannot be attempted at all (its token or the issuer's endpoint is gone):
    /// it fails without counting an attempt.
    public static func cannotAttempt(reason: String, attemptsBefore: Int, now: Timestamp) -> RevocationTransition {
        RevocationTransition(JobTransition.cannotAttempt(reason: reason, attemptsBefore: attemptsBefore, now: now))
    }
}
