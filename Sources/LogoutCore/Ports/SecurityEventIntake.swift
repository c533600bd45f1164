/// What a SET pushed to us (SSF-5, RFC 8935) comes to: the answer the transmitter gets.
public enum SETIntakeResult: Sendable, Equatable {
    /// `202`: acted on (a logout recorded, with its event id), or accepted without an action (a
    /// replayed `jti`, a verification, an event type we do not act on).
    case accepted(eventID: Int64?)
    /// `400 {"err","description"}` (RFC 8935 §2.3): the transmitter must not send it again.
    case rejected(SETRejection)
    /// Refused past the address's or the issuer's budget of refusals: `429`.
    case rateLimited(retryAfter: Duration)
    /// The issuer's keys cannot be had, or the database does not answer: `503`, sent again later.
    case unavailable(reason: String, retryAfter: Duration)
}

/// Where the public listener hands a SET pushed to `/ssf/push/{issuer}`: implemented by the
/// service layer with the same issuer registrations, keys and budgets as logout tokens.
public protocol SecurityEventIntake: Sendable {
    func receive(
        securityEvent token: String,
        issuerName: String,
        clientAddress: String?,
        budgetKey: String?
    ) async
        -> SETIntakeResult
}
