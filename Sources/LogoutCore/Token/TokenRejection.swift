/// Why an inbound logout token was refused: the rulebook rule that failed and a description safe to
/// return to the notifier (it never echoes the token).
public struct TokenRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// Rulebook id, such as `IN-8`.
    public let rule: String
    public let description: String

    public init(_ rule: String, _ description: String) {
        self.rule = rule
        self.description = description
    }
}
