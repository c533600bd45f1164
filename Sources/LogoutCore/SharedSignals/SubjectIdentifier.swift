/// Who an SSF event is about (RFC 9493 §3, SSF §3): the formats we send and act on.
///
/// `iss_sub` and `email` name a person, `opaque` a stream (verification, SSF §8.1.4.1) or a
/// session; `complex` (SSF §3.3) combines them. Other formats are refused where we must act on
/// the subject (add-subject, a received session-revoked); inside a complex subject, members we do
/// not act on (`tenant`, `device`, …) are kept as they came, for matching (SSF §8.1.3.1).
public indirect enum SubjectIdentifier: Sendable, Equatable {
    case issSub(iss: String, sub: String)
    case email(String)
    case opaque(String)
    case complex(ComplexSubject)

    /// A complex subject (SSF §3.3): every member describes the same principal.
    public struct ComplexSubject: Sendable, Equatable {
        public var user: SubjectIdentifier?
        public var session: SubjectIdentifier?
        /// Members other than `user` and `session`, as received: `{"format": …, …}` objects.
        public var others: [String: JSONValue]

        public init(
            user: SubjectIdentifier? = nil,
            session: SubjectIdentifier? = nil,
            others: [String: JSONValue] = [:]
        ) {
            self.user = user
            self.session = session
            self.others = others
        }
    }

    public struct ParseError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        /// The subject was well formed in a format we do not support (rather than broken).
        public let unsupportedFormat: Bool

        init(_ description: String, unsupportedFormat: Bool = false) {
            self.description = description
            self.unsupportedFormat = unsupportedFormat
        }
    }

    /// The subject we send for a person (SSF-3): `iss_sub`, or a complex subject with the
    /// session as an opaque id when the logout named one (CAEP §3.1's second example).
    public static func person(iss: String, sub: String, sessionID: String? = nil) -> SubjectIdentifier {
        let user = SubjectIdentifier.issSub(iss: iss, sub: sub)
        guard let sessionID else { return user }
        return .complex(ComplexSubject(user: user, session: .opaque(sessionID)))
    }

    /// The format name, as the `format` member carries it.
    public var format: String {
        switch self {
        case .issSub: return "iss_sub"
        case .email: return "email"
        case .opaque: return "opaque"
        case .complex: return "complex"
        }
    }

    public var json: JSONValue {
        switch self {
        case .issSub(let iss, let sub): return ["format": "iss_sub", "iss": .string(iss), "sub": .string(sub)]
        case .email(let email): return ["format": "email", "email": .string(email)]
        case .opaque(let id): return ["format": "opaque", "id": .string(id)]
        case .complex(let complex):
            var object = complex.others
            object["format"] = "complex"
            if let user = complex.user { object["user"] = user.json }
            if let session = complex.session { object["session"] = session.json }
            return .object(object)
        }
    }

    /// Parses a subject strictly: an unknown format is an error, never a subject that matches
    /// nothing (a receiver would believe it had subscribed). Members a format does not define are
    /// ignored (RFC 9493 formats are extended by adding members).
    public static func parse(_ value: JSONValue) throws(ParseError) -> SubjectIdentifier {
        try parse(value, nested: false)
    }

    private static func parse(_ value: JSONValue, nested: Bool) throws(ParseError) -> SubjectIdentifier {
        guard let object = value.objectValue else { throw ParseError("a subject must be a JSON object") }
        guard let format = object["format"]?.stringValue else { throw ParseError("a subject needs a format string") }
        switch format {
        case "iss_sub":
            return .issSub(iss: try member(object, "iss", of: format), sub: try member(object, "sub", of: format))
        case "email":
            return .email(try member(object, "email", of: format))
        case "opaque":
            return .opaque(try member(object, "id", of: format))
        case "complex" where !nested:
            return .complex(try parseComplex(object))
        case "complex":
            throw ParseError("a complex subject cannot hold another complex subject")
        default:
            throw ParseError(
                "subject format \(quoted(format)) is not supported (iss_sub, email, opaque, complex)",
                unsupportedFormat: true
            )
        }
    }

    private static func parseComplex(_ object: [String: JSONValue]) throws(ParseError) -> ComplexSubject {
        var complex = ComplexSubject()
        guard object.count <= SSFLimits.maximumComplexMembers + 1 else {
            throw ParseError("a complex subject has more than \(SSFLimits.maximumComplexMembers) members")
        }
        for (name, member) in object where name != "format" {
            switch name {
            case "user": complex.user = try parse(member, nested: true)
            case "session": complex.session = try parse(member, nested: true)
            default:
                // Kept for matching only: it must still look like a subject identifier.
                guard member.objectValue?["format"]?.stringValue != nil else {
                    throw ParseError("the complex subject member \(quoted(name)) is not a subject identifier")
                }
                complex.others[name] = member
            }
        }
        guard complex.user != nil || complex.session != nil || !complex.others.isEmpty else {
            throw ParseError("a complex subject needs at least one member")
        }
        return complex
    }

    private static func member(
        _ object: [String: JSONValue],
        _ name: String,
        of format: String
    ) throws(ParseError)
        -> String
    {
        guard let value = object[name]?.stringValue, !value.isEmpty else {
            throw ParseError("a \(format) subject needs a non-empty \(name) string")
        }
        guard value.count <= SSFLimits.maximumIdentifierLength else {
            throw ParseError("\(name) is longer than \(SSFLimits.maximumIdentifierLength) characters")
        }
        if SafeText.hasControlCharacters(value) { throw ParseError("\(name) contains a control character") }
        return value
    }
}
