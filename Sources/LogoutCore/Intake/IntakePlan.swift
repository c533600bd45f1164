/// What an intake transaction writes, decided by `IntakePlanner` from its `IntakeSnapshot`.
public enum IntakePlan: Sendable, Equatable {
    /// The same token again (IN-12): nothing new to deliver. `log` is the `duplicate` event, or
    /// `nil` for a repeated `id_token_hint`, which records nothing (BR-9).
    case repeated(originalEventID: Int64, log: NewEvent?)
    /// The key was used by another token: the refusal is logged, nothing else written.
    case conflict(log: NewEvent)
    /// No live session matched a logout that must end one (FC-3): nothing is written.
    case nothingToEnd
    case accept(AcceptedIntake)

    /// What the caller is told once the plan is written; `eventID` is the accepted event's.
    public func recorded(eventID: Int64) -> RecordedLogout {
        switch self {
        case .repeated(let original, _): return .duplicate(originalEventID: original)
        case .conflict: return .replayConflict
        case .nothingToEnd: return .nothingToEnd
        case .accept(let plan):
            return .accepted(
                eventID: eventID,
                deliveries: plan.deliveries.count,
                skipped: plan.deliveries.filter { $0.skipReason != nil }.map(\.clientID),
                revocations: plan.revocations.count
            )
        }
    }
}

/// An accepted logout's writes, all in the transaction that read its snapshot (IN-17).
public struct AcceptedIntake: Sendable, Equatable {
    public var event: NewEvent
    public var deliveries: [PlannedDelivery]
    /// Sessions this logout ends; each gives up its upstream tokens (BR-8).
    public var endedSessions: [Int64]
    /// Upstream tokens of those sessions to revoke, in order.
    public var revocations: [PlannedRevocation]
    /// The replay record to keep, pointing at the new event.
    public var replay: ReplayKey?
    /// Some delivery or revocation is due now: engines (of every replica) should look.
    public var wakesDispatchers: Bool
}

/// One upstream token to revoke (BR-8); the store copies it from its session's row.
public struct PlannedRevocation: Sendable, Equatable {
    public var sessionID: Int64
    public var tokenType: RevocationTokenType
    /// Waits until the revocation planned just before it (the same session's refresh token) is done.
    public var afterPrevious: Bool

    public init(sessionID: Int64, tokenType: RevocationTokenType, afterPrevious: Bool) {
        self.sessionID = sessionID
        self.tokenType = tokenType
        self.afterPrevious = afterPrevious
    }
}
