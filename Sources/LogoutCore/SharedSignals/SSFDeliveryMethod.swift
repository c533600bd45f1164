/// How a stream's SETs travel (SSF §6.1): we push them to the receiver (RFC 8935), or hold them
/// for the receiver to poll (RFC 8936).
public enum SSFDeliveryMethod: String, Sendable, CaseIterable, Codable {
    case push = "urn:ietf:rfc:8935"
    case poll = "urn:ietf:rfc:8936"
}
