import Foundation
import LogoutCore

/// The one JSON configuration of the admin API, for the daemon's routes and for the CLI:
/// members in `snake_case` as contract C4 names them, times in RFC 3339 with milliseconds (the
/// `Timestamp` coding), integers as integers, keys sorted so answers are stable.
public enum AdminJSON {
    public static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    public static var decoder: JSONDecoder { JSONDecoder() }

    public static func encode(_ value: some Encodable) throws -> [UInt8] {
        [UInt8](try encoder.encode(value))
    }

    /// Decodes a request body strictly: malformed JSON, repeated members and members the type
    /// does not know are refused with a message naming them, so a typo never becomes a default.
    public static func decodeRequest<T: AdminRequestBody>(_ type: T.Type, from bytes: [UInt8]) throws(AdminError) -> T {
        let document: JSONValue
        do {
            document = try StrictJSONParser.parse(bytes)
        } catch {
            throw AdminError(.invalidRequest, "invalid_request", "the body is not valid JSON: \(error.description)")
        }
        guard let object = document.objectValue else {
            throw AdminError(.invalidRequest, "invalid_request", "the body must be a JSON object")
        }
        try checkMembers(object, allowed: T.members, nested: T.nestedMembers, what: T.what)
        do {
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let error as AdminError {
            throw error
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw AdminError.invalid("\(path(context.codingPath)) has the wrong type; \(context.debugDescription)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw AdminError.invalid("\(path(context.codingPath + [key])) is required")
        } catch let DecodingError.dataCorrupted(context) {
            throw AdminError.invalid("\(path(context.codingPath)): \(context.debugDescription)")
        } catch {
            throw AdminError.invalid("the body cannot be read: \(error)")
        }
    }

    static func checkMembers(
        _ object: [String: JSONValue],
        allowed: Set<String>,
        nested: [String: Set<String>],
        what: String
    ) throws(AdminError) {
        let unknown = object.keys.filter { !allowed.contains($0) }.sorted()
        guard unknown.isEmpty else {
            throw AdminError.invalid(
                "unknown member\(unknown.count > 1 ? "s" : "") \(unknown.joined(separator: ", ")) in \(what); "
                    + "accepted: \(allowed.sorted().joined(separator: ", "))"
            )
        }
        for (name, members) in nested {
            guard let inner = object[name]?.objectValue else { continue }
            try checkMembers(inner, allowed: members, nested: [:], what: name)
        }
    }

    static func path(_ codingPath: [any CodingKey]) -> String {
        codingPath.map(\.stringValue).joined(separator: ".")
    }
}

/// A request body of the admin API: the members it accepts, for strict decoding.
public protocol AdminRequestBody: Decodable {
    static var members: Set<String> { get }
    /// Members that are objects, and the members those accept.
    static var nestedMembers: [String: Set<String>] { get }
    /// What the body is, for messages: "the issuer".
    static var what: String { get }
}

extension AdminRequestBody {
    public static var nestedMembers: [String: Set<String>] { [:] }
}

/// A member that may be absent, `null`, or a value: `null` clears on a PATCH, and for `rp_sid`
/// means "the RP knows no sid", which absence does not.
public enum Nullable<Value: Codable & Sendable & Equatable>: Sendable, Equatable {
    case absent
    case null
    case value(Value)

    public var value: Value? {
        if case .value(let value) = self { return value }
        return nil
    }

    public var isAbsent: Bool { self == .absent }
}

extension KeyedDecodingContainer {
    public func decodeNullable<Value>(_ type: Value.Type, forKey key: Key) throws -> Nullable<Value> {
        guard contains(key) else { return .absent }
        if try decodeNil(forKey: key) { return .null }
        return .value(try decode(Value.self, forKey: key))
    }
}

extension KeyedEncodingContainer {
    public mutating func encodeNullable<Value>(_ value: Nullable<Value>, forKey key: Key) throws {
        switch value {
        case .absent: break
        case .null: try encodeNil(forKey: key)
        case .value(let value): try encode(value, forKey: key)
        }
    }
}
