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
        DeliveryTransition(
            JobTransition.afterAttempt(
                result,
                classifiedBy: DeliveryClassifier.classify,
                attemptsBefore: attemptsBefore,
                createdAt: createdAt,
                finishedAt: finishedAt,
                policy: policy,
                using: &generator
            )
        )
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

extension DeliveryTransition {
    /// The queue's transition, in a delivery's terms: done is `delivered`, at its end.
    public init(_ job: JobTransition) {
        let status: DeliveryStatus
        switch job.state {
        case .done: status = .delivered
        case .retrying: status = .retrying
        case .failed: status = .failed
        }
        self.init(
            status: status,
            attempts: job.attempts,
            nextAttemptAt: job.nextAttemptAt,
            deliveredAt: job.state == .done ? job.finishedAt : nil,
            lastStatusCode: job.lastStatusCode,
            lastError: job.lastError,
            reason: job.reason,
            errorClass: job.errorClass,
            nonStandardSuccess: job.nonStandardSuccess,
            finishedAt: job.finishedAt
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
