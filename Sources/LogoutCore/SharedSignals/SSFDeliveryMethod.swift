/// How a stream's SETs travel (SSF §6.1): we push them to the receiver (RFC 8935), or hold them
/// for the receiver to poll (RFC 8936).
public enum SSFDeliveryMethod: String, Sendable, CaseIterable, Codable {
    case push = "urn:ietf:rfc:8935"
    case poll = "urn:ietf:rfc:8936"
}

extension SSFDeliveryMethod {
    /// The admin's word for it (`ssf_delivery`), and the stores'.
    public var name: String {
        switch self {
        case .push: "push"
        case .poll: "poll"
        }
    }

    public init?(name: String) {
        switch name {
        case "push": self = .push
        case "poll": self = .poll
        default: return nil
        }
    }
}
