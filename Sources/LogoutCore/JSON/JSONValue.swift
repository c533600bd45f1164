/// A JSON document as the strict parser produced it.
///
/// We parse token segments and JWK sets ourselves instead of using `JSONDecoder` because the
/// decoder silently keeps the first of two duplicate members, while other JWT libraries keep the
/// last: a token that means one thing to us and another to the RP is an attack (RFC 8725 §2.6).
public enum JSONValue: Sendable, Equatable {
    case object([String: JSONValue])
    case array([JSONValue])
    case string(String)
    /// Numbers are kept as `Double` so that out-of-range values such as `9223372036854775807`
    /// can never trap when compared or offset by a leeway.
    case number(Double)
    case bool(Bool)
    case null

    public var objectValue: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    public var arrayValue: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    public var stringValue: String? {
        if case .string(let value) = self { return value }
        return nil
    }

    public var numberValue: Double? {
        if case .number(let value) = self { return value }
        return nil
    }

    public var boolValue: Bool? {
        if case .bool(let value) = self { return value }
        return nil
    }

    public subscript(key: String) -> JSONValue? {
        objectValue?[key]
    }
}
