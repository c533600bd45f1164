import LogoutCore
import Testing

@Suite struct StrictJSONParserTests {
    @Test(arguments: [
        (#"{"a":1}"#, JSONValue.object(["a": .number(1)])),
        (
            #" [true, false, null, "x", -1.5e2] "#,
            .array([.bool(true), .bool(false), .null, .string("x"), .number(-150)])
        ),
        (#""\u00e9\ud83d\ude00\n""#, .string("é😀\n")),
        (#"{"iat":9223372036854775807}"#, .object(["iat": .number(Double(Int64.max))])),
        // Plain text before and after an escape: the fast path hands over to the escaping one.
        (#"["ab\"cd", "", "plain é"]"#, .array([.string("ab\"cd"), .string(""), .string("plain é")])),
    ])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try StrictJSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        #"{"a":1,"a":2}"#,
        #"{"sub":"x","s\u0075b":"y"}"#,
        #"{"o":{"k":1,"k":1}}"#,
    ])
    func refusesDuplicateMembers(text: String) {
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse(Array(text.utf8)) }
        do {
            _ = try StrictJSONParser.parse(Array(text.utf8))
        } catch {
            #expect(error.duplicateMember != nil)
        }
    }

    @Test(arguments: [
        "", "{", "{\"a\":}", "[1,]", "\"unterminated", "\"ab\\", "01", "1.", "\"\u{01}\"", "\"\\ud800\"", "{} x", "nul",
        "1e999",
        String(repeating: "[", count: 100) + String(repeating: "]", count: 100),
    ])
    func refusesMalformedJSON(text: String) {
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse(Array(text.utf8)) }
    }

    @Test func refusesInvalidUTF8() {
        #expect(throws: StrictJSONParser.Failure.self) { try StrictJSONParser.parse([0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func serializerRoundTrips() throws {
        let value: JSONValue = ["b": [1, "two\n\"", nil], "a": true]
        let text = JSONSerializer.string(value)
        #expect(text == #"{"a":true,"b":[1,"two\n\"",null]}"#)
        #expect(try StrictJSONParser.parse(Array(text.utf8)) == value)
    }

    /// Strings without anything to escape are copied whole; the rest byte by byte.
    @Test(arguments: [
        ("plain", #""plain""#), ("", #""""#), ("é/ü", #""é/ü""#), ("a\"b", #""a\"b""#), ("a\\b", #""a\\b""#),
        ("\u{1}x", #""\u0001x""#), ("tab\t", #""tab\t""#), ("\u{7F}", "\"\u{7F}\""),
    ])
    func serializesStrings(text: String, json: String) throws {
        #expect(JSONSerializer.string(.string(text)) == json)
        #expect(try StrictJSONParser.parse(Array(json.utf8)) == .string(text))
    }

    @Test func membersInTheGivenOrderMatchTheSortedObject() {
        let members: [(name: String, value: JSONValue)] = [("a", 1), ("b", ["c": "d\""]), ("e", nil)]
        #expect(
            JSONSerializer.serializeMembers(members)
                == JSONSerializer.serialize(
                    .object(Dictionary(uniqueKeysWithValues: members.map { ($0.name, $0.value) }))
                )
        )
    }
}
