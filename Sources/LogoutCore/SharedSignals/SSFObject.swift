/// Reads the members of an untrusted JSON object with the checks every SSF request shares:
/// the right type, a bound on length, and no control characters in what becomes an identifier.
/// Member names not read are ignored, as JSON APIs extend by adding members.
struct SSFObject {
    let members: [String: JSONValue]
    let rule: String

    init(_ value: JSONValue, what: String, rule: String = "SSF-2") throws(SSFRequestError) {
        guard let members = value.objectValue else {
            throw SSFRequestError.badRequest("\(what) must be a JSON object", rule: rule)
        }
        self.members = members
        self.rule = rule
    }

    subscript(name: String) -> JSONValue? { members[name] }

    func fail(_ description: String) -> SSFRequestError {
        SSFRequestError.badRequest(description, rule: rule)
    }

    /// A string member when present: non-empty, at most `maximum` characters.
    func string(_ name: String, maximum: Int) throws(SSFRequestError) -> String? {
        guard let value = members[name] else { return nil }
        guard let text = value.stringValue, !text.isEmpty else { throw fail("\(name) must be a non-empty string") }
        guard text.count <= maximum else { throw fail("\(name) is longer than \(maximum) characters") }
        return text
    }

    func requiredString(_ name: String, maximum: Int) throws(SSFRequestError) -> String {
        guard let text = try string(name, maximum: maximum) else { throw fail("\(name) is missing") }
        return text
    }

    /// A string that names something (an id, a URL): no NUL or other control character (IN-14).
    func identifier(_ name: String, maximum: Int) throws(SSFRequestError) -> String? {
        guard let text = try string(name, maximum: maximum) else { return nil }
        if SafeText.hasControlCharacters(text) { throw fail("\(name) contains a control character") }
        return text
    }

    func streamID() throws(SSFRequestError) -> String {
        guard let id = try identifier("stream_id", maximum: SSFLimits.maximumStreamIDLength) else {
            throw fail("stream_id is missing")
        }
        return id
    }

    func bool(_ name: String) throws(SSFRequestError) -> Bool? {
        guard let value = members[name] else { return nil }
        guard let flag = value.boolValue else { throw fail("\(name) must be true or false") }
        return flag
    }

    /// A non-negative whole number, compared as a double so no input can trap.
    func count(_ name: String) throws(SSFRequestError) -> Int? {
        guard let value = members[name] else { return nil }
        guard let number = value.numberValue, number >= 0, number.rounded() == number else {
            throw fail("\(name) must be a non-negative integer")
        }
        return number > 1e9 ? 1_000_000_000 : Int(number)
    }

    /// An array of strings, each a bounded identifier, at most `maximumCount` of them.
    func strings(_ name: String, maximumCount: Int, maximumLength: Int) throws(SSFRequestError) -> [String]? {
        guard let value = members[name] else { return nil }
        guard let elements = value.arrayValue else { throw fail("\(name) must be an array of strings") }
        guard elements.count <= maximumCount else { throw fail("\(name) has more than \(maximumCount) entries") }
        var result: [String] = []
        for element in elements {
            guard let text = element.stringValue, !text.isEmpty, text.count <= maximumLength else {
                throw fail("\(name) entries must be strings of 1 to \(maximumLength) characters")
            }
            if SafeText.hasControlCharacters(text) { throw fail("\(name) contains a control character") }
            result.append(text)
        }
        return result
    }
}

extension JSONValue {
    /// A request body as the strict parser reads it (duplicate members refused, IN-6), with
    /// parse failures as a 400.
    public static func parseSSFRequest(
        _ bytes: some Sequence<UInt8>,
        rule: String = "SSF-2"
    ) throws(SSFRequestError) -> JSONValue {
        do {
            return try StrictJSONParser.parse(bytes)
        } catch {
            throw SSFRequestError.badRequest("the body is not valid JSON: \(error.description)", rule: rule)
        }
    }
}
