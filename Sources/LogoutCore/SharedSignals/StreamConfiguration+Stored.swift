/// The stream as the store keeps it: the JSON the endpoints answer (`json`), which holds every
/// member but the push credential, sealed apart. Read back with the same strictness as a
/// request, so a row edited by hand cannot smuggle in what a receiver could not send.
extension StreamConfiguration {
    public struct StoredTextError: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    public var storedText: String {
        String(decoding: JSONSerializer.serialize(json), as: UTF8.self)
    }

    public init(storedText: String) throws(StoredTextError) {
        func fail(_ what: String) -> StoredTextError { StoredTextError(description: "stored stream: \(what)") }
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(Array(storedText.utf8))
        } catch {
            throw fail("not JSON")
        }
        guard let object = value.objectValue else { throw fail("not an object") }
        func string(_ name: String) throws(StoredTextError) -> String {
            guard let text = object[name]?.stringValue else { throw fail("\(name) is missing") }
            return text
        }
        func types(_ name: String) throws(StoredTextError) -> [SSFEventType]? {
            guard let member = object[name] else { return nil }
            guard let items = member.arrayValue else { throw fail("\(name) is not an array") }
            var types: [SSFEventType] = []
            for item in items {
                guard let text = item.stringValue else { throw fail("\(name) holds a non-string") }
                types.append(SSFEventType(rawValue: text))
            }
            return types
        }
        let audience: [String]
        switch object["aud"] {
        case .string(let one)?: audience = [one]
        case .array(let many)?: audience = many.compactMap(\.stringValue)
        default: throw fail("aud is missing")
        }
        guard let delivery = object["delivery"]?.objectValue,
            let methodName = delivery["method"]?.stringValue, let method = SSFDeliveryMethod(rawValue: methodName),
            let endpoint = delivery["endpoint_url"]?.stringValue
        else { throw fail("delivery is not valid") }
        self.init(
            streamID: try string("stream_id"),
            issuer: try string("iss"),
            audience: audience,
            eventsSupported: try types("events_supported") ?? [],
            eventsRequested: try types("events_requested"),
            eventsDelivered: try types("events_delivered") ?? [],
            delivery: StreamDelivery(method: method, endpointURL: endpoint),
            description: object["description"]?.stringValue,
            minVerificationInterval: try Self.interval(object["min_verification_interval"], fail: fail)
        )
    }

    /// A count of seconds that fits an `Int`: `Int(1e300)` would trap.
    private static func interval(
        _ value: JSONValue?,
        fail: (String) -> StoredTextError
    ) throws(StoredTextError) -> Int? {
        guard let value else { return nil }
        guard let number = value.numberValue, number >= 0, number <= 1e9, number == number.rounded() else {
            throw fail("min_verification_interval is not a count of seconds")
        }
        return Int(number)
    }
}
