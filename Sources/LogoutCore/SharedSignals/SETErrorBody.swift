/// The `{"err","description"}` object of RFC 8935 §2.3 (a push refused with 400) and of a poll's
/// `setErrs` entries (RFC 8936 §2.2): why a SET was not accepted.
public struct SETErrorBody: Sendable, Equatable, CustomStringConvertible {
    /// An RFC 8935 §2.4 code (`invalid_request`, `invalid_key`, …), or another registered one
    /// (SSF's `invalid_state`); kept as received.
    public var err: String
    public var errorDescription: String?

    public static let maximumCodeLength = 64

    public init(err: String, description: String? = nil) {
        self.err = err
        self.errorDescription = description
    }

    public init(_ code: SETErrorCode, description: String) {
        self.init(err: code.rawValue, description: description)
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["err": .string(err)]
        if let errorDescription { object["description"] = .string(errorDescription) }
        return .object(object)
    }

    /// `err: description`, printable and bounded, for the attempt log.
    public var description: String {
        let code = SafeText.printable(err, limit: Self.maximumCodeLength)
        guard let errorDescription else { return code }
        return code + ": " + SafeText.printable(errorDescription, limit: SSFLimits.maximumReasonLength)
    }

    /// Reads the object, or nil when it is not one: an `err` string of 1–64 characters, and a
    /// `description` string if any (RFC 8935 requires it; a receiver that leaves it out still
    /// told us the code). Other members are ignored.
    public static func parse(_ value: JSONValue) -> SETErrorBody? {
        guard let object = value.objectValue, let err = object["err"]?.stringValue, !err.isEmpty,
            err.count <= maximumCodeLength
        else { return nil }
        let text = object["description"]?.stringValue.map { String($0.prefix(SSFLimits.maximumTextLength)) }
        return SETErrorBody(err: err, description: text)
    }

    /// Reads a receiver's answer body, as the push sender puts it in the attempt log.
    public static func parse(body: some Sequence<UInt8>) -> SETErrorBody? {
        (try? StrictJSONParser.parse(body)).flatMap(parse)
    }
}

/// The Security Event Token error codes (RFC 8935 §2.4), with SSF's `invalid_state` (SSF §8.1.4.1).
public enum SETErrorCode: String, Sendable, CaseIterable, Codable {
    /// The body is not a SET we can parse, or the event does not conform to its definition.
    case invalidRequest = "invalid_request"
    /// The key or algorithm the SET is signed with is unacceptable.
    case invalidKey = "invalid_key"
    case invalidIssuer = "invalid_issuer"
    case invalidAudience = "invalid_audience"
    /// We could not authenticate the transmitter (the signature does not verify).
    case authenticationFailed = "authentication_failed"
    /// The transmitter may not send us SETs.
    case accessDenied = "access_denied"
    /// A verification SET whose `state` is not the one we asked for.
    case invalidState = "invalid_state"
}
