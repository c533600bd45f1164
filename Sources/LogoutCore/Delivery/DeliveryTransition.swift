/// What one attempt changes in a delivery: the decision half of the delivery state machine.
/// The dispatcher performs the attempt and stores the transition; nothing here does I/O.
public struct DeliveryTransition: Sendable, Equatable {
    public var status: DeliveryStatus
    public var attempts: Int
    /// Set when the status is `retrying`.
    public var nextAttemptAt: Timestamp?
    public var deliveredAt: Timestamp?
    public var lastStatusCode: Int?
    public var lastError: String?
    /// Why a delivery ended `failed` or `skipped`.
    public var reason: String?
    /// What the attempt log records for this attempt.
    public var errorClass: ErrorClass?
    public var nonStandardSuccess: Bool
    /// When a delivery reached its end (`delivered`, `failed`, `skipped`): the log page's chart.
    public var finishedAt: Timestamp? = nil

    /// - Parameters:
    ///   - attemptsBefore: attempts recorded before this one.
    ///   - createdAt: when the delivery was created (or queued again).
    ///   - finishedAt: when this attempt ended.
    public static func afterAttempt(
        _ result: AttemptResult,
        attemptsBefore: Int,
        createdAt: Timestamp,
        finishedAt: Timestamp,
        policy: RetryPolicy,
        using generator: inout some RandomNumberGenerator
    ) -> DeliveryTransition {
        let attempts = attemptsBefore + 1
        var statusCode: Int?
        if case .response(let answer) = result { statusCode = answer.status }

        switch DeliveryClassifier.classify(result) {
        case .delivered(let standard):
            return DeliveryTransition(
                status: .delivered,
                attempts: attempts,
                nextAttemptAt: nil,
                deliveredAt: finishedAt,
                lastStatusCode: statusCode,
                lastError: nil,
                reason: nil,
                errorClass: nil,
                nonStandardSuccess: !standard,
                finishedAt: finishedAt
            )
        case .permanent(let errorClass, let reason):
            return DeliveryTransition(
                status: .failed,
                attempts: attempts,
                nextAttemptAt: nil,
                deliveredAt: nil,
                lastStatusCode: statusCode,
                lastError: reason,
                reason: reason,
                errorClass: errorClass,
                nonStandardSuccess: false,
                finishedAt: finishedAt
            )
        case .retryable(let errorClass, let reason, let retryAfter):
            switch policy.decide(
                attemptsMade: attempts,
                createdAt: createdAt,
                now: finishedAt,
                retryAfter: retryAfter,
                using: &generator
            ) {
            case .retry(let at):
                return DeliveryTransition(
                    status: .retrying,
                    attempts: attempts,
                    nextAttemptAt: at,
                    deliveredAt: nil,
                    lastStatusCode: statusCode,
                    lastError: reason,
                    reason: nil,
                    errorClass: errorClass,
                    nonStandardSuccess: false
                )
            case .giveUp(let giveUpReason):
                return DeliveryTransition(
                    status: .failed,
                    attempts: attempts,
                    nextAttemptAt: nil,
                    deliveredAt: nil,
                    lastStatusCode: statusCode,
                    lastError: reason,
                    reason: "\(giveUpReason); last error: \(reason)",
                    errorClass: errorClass,
                    nonStandardSuccess: false,
                    finishedAt: finishedAt
                )
            }
        }
    }

    /// A delivery ended without an attempt (RES-5: the subject logged in again since the logout).
    public static func skipped(attempts: Int, reason: String, at now: Timestamp) -> DeliveryTransition {
        DeliveryTransition(
            status: .skipped,
            attempts: attempts,
            nextAttemptAt: nil,
            deliveredAt: nil,
            lastStatusCode: nil,
            lastError: nil,
            reason: reason,
            errorClass: nil,
            nonStandardSuccess: false,
            finishedAt: now
        )
    }
}

/// The late-logout guard (RES-5, after RFC 8417 §4.4).
public enum LateLogoutGuard {
    public static let reason =
        "the subject logged in again at this RP after the logout; a subject-wide logout would end the newer session"

    /// A subject-wide delivery (no sid) must not be sent once the subject has a session at the RP
    /// that began after the logout was received.
    public static func shouldSkip(deliverySid: String?, newerSessionExists: Bool) -> Bool {
        deliverySid == nil && newerSessionExists
    }
}
