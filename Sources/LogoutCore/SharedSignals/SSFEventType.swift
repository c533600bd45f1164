/// An event type URI, as streams list them and SETs carry them (SSF §8.1.1, CAEP §3).
///
/// A struct over the URI rather than an enum: a receiver may request types we do not know, and
/// the stream echoes them back in `events_requested` (a transmitter "MUST ignore" them, not refuse).
public struct SSFEventType: RawRepresentable, Sendable, Hashable, Comparable, CustomStringConvertible {
    public let rawValue: String

    public init(rawValue: String) {
        self.rawValue = rawValue
    }

    /// CAEP §3.1: the session identified by the subject has been revoked (SSF-3).
    public static let sessionRevoked = SSFEventType(
        rawValue: "https://schemas.openid.net/secevent/caep/event-type/session-revoked"
    )
    /// SSF §8.1.4.1: sent when a receiver asks, whatever the stream's events (SSF-2).
    public static let verification = SSFEventType(
        rawValue: "https://schemas.openid.net/secevent/ssf/event-type/verification"
    )
    /// SSF §8.1.5: the transmitter changed the stream's status on its own.
    public static let streamUpdated = SSFEventType(
        rawValue: "https://schemas.openid.net/secevent/ssf/event-type/stream-updated"
    )

    /// What we transmit, our `events_supported`: session-revoked, and verification, which the
    /// receiver does not need to request (SSF §8.1.4 lets it be sent on any stream).
    public static let supported: [SSFEventType] = [.sessionRevoked, .verification]

    /// Stream-management events reach a stream whatever it requested (SSF §8.1.4, §8.1.5).
    public static let alwaysDelivered: Set<SSFEventType> = [.verification, .streamUpdated]

    public var description: String { rawValue }

    public static func < (lhs: SSFEventType, rhs: SSFEventType) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
