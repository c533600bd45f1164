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
        let attempts = attemptsBefore + 1
        switch result {
        case .response(let answer) where answer.status == 200:
            return RevocationTransition(
                status: .revoked,
                attempts: attempts,
                lastStatusCode: 200,
                finishedAt: finishedAt
            )
        case .response(let answer) where answer.status == 503:
            let reason = "HTTP 503" + (answer.rpError.map { ": \($0)" } ?? "")
            return retry(
                reason: reason,
                statusCode: 503,
                retryAfter: DeliveryClassifier.parseRetryAfter(answer.retryAfter),
                attempts: attempts,
                createdAt: createdAt,
                now: finishedAt,
                policy: policy,
                using: &generator
            )
        case .response(let answer):
            let reason: String
            if (300..<400).contains(answer.status) {
                let target = answer.location.map { " to \($0)" } ?? ""
                reason = "HTTP \(answer.status) redirect\(target) (redirects are never followed)"
            } else {
                reason = "HTTP \(answer.status)" + (answer.rpError.map { ": \($0)" } ?? "")
            }
            return failed(reason: reason, statusCode: answer.status, attempts: attempts, now: finishedAt)
        case .transportFailure(let errorClass, let detail) where errorClass == .blocked || errorClass == .signing:
            return failed(reason: detail, statusCode: nil, attempts: attempts, now: finishedAt)
        case .transportFailure(_, let detail):
            return retry(
                reason: detail,
                statusCode: nil,
                retryAfter: nil,
                attempts: attempts,
                createdAt: createdAt,
                now: finishedAt,
                policy: policy,
                using: &generator
            )
        }
    }

    /// A revocation that cannot be attempted at all (its token or the issuer's endpoint is gone):
    /// it fails without counting an attempt.
    public static func cannotAttempt(reason: String, attemptsBefore: Int, now: Timestamp) -> RevocationTransition {
        failed(reason: reason, statusCode: nil, attempts: attemptsBefore, now: now)
    }

    private static func failed(
        reason: String,
        statusCode: Int?,
        attempts: Int,
        now: Timestamp
    )
        -> RevocationTransition
    {
        RevocationTransition(
            status: .failed,
            attempts: attempts,
            lastStatusCode: statusCode,
            lastError: reason,
            reason: reason,
            finishedAt: now
        )
    }

    private static func retry(
        reason: String,
        statusCode: Int?,
        retryAfter: Duration?,
        attempts: Int,
        createdAt: Timestamp,
        now: Timestamp,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> RevocationTransition {
        switch policy.decide(
            attemptsMade: attempts,
            createdAt: createdAt,
            now: now,
            retryAfter: retryAfter,
            using: &generator
        ) {
        case .retry(let at):
            return RevocationTransition(
                status: .retrying,
                attempts: attempts,
                nextAttemptAt: at,
                lastStatusCode: statusCode,
                lastError: reason
            )
        case .giveUp(let giveUpReason):
            return RevocationTransition(
                status: .failed,
                attempts: attempts,
                lastStatusCode: statusCode,
                lastError: reason,
                reason: "\(giveUpReason); last error: \(reason)",
                finishedAt: now
            )
        }
    }
}
