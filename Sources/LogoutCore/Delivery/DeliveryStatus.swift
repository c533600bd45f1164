/// A delivery's state in the queue (rulebook Q-1). Being in flight is not a status: it is a lease
/// on a `pending` or `retrying` delivery, so a crash leaves nothing but a lease that expires.
public enum DeliveryStatus: String, Sendable, Codable, CaseIterable {
    case pending
    case retrying
    case delivered
    case failed
    case skipped

    public var isFinal: Bool {
        switch self {
        case .delivered, .failed, .skipped: return true
        case .pending, .retrying: return false
        }
    }
}
