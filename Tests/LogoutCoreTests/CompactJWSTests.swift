import LogoutCore
import Testing

@Suite struct CompactJWSTests {
    static func segment(_ json: String) -> String { Base64URL.encode(Array(json.utf8)) }
    static let header = segment(#"{"alg":"ES256"}"#)
    static let payload = segment(#"{"iss":"x"}"#)

    /// The same bytes with the unused low bits of the last character set (RFC 4648 §3.5).
    static func nonCanonical(_ segment: String) -> String {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        let unusedBits = segment.count % 4 == 2 ? 4 : 2
        let last = alphabet.firstIndex(of: segment.last!)!
        return String(segment.dropLast()) + String(alphabet[last | ((1 << unusedBits) - 1)])
    }

    @Test func splitsAValidToken() throws {
        let jws = try CompactJWS.parse("\(Self.header).\(Self.payload).c2ln")
        #expect(jws.header["alg"] == .string("ES256"))
        #expect(jws.payload["iss"] == .string("x"))
        #expect(jws.signature == Array("sig".utf8))
        #expect(jws.signingInput == Array("\(Self.header).\(Self.payload)".utf8))
    }

    /// Rulebook IN-2 and IN-6, one row per shape rule.
    @Test(arguments: [
        ("two segments", "\(header).\(payload)", "IN-2"),
        ("four dots", "a.b.c.d.e", "IN-2"),
        ("JWE (five segments)", "\(header).a.b.c.d", "IN-2"),
        ("100k dots", String(repeating: ".", count: 100_000), "IN-2"),
        ("empty signature", "\(header).\(payload).", "IN-2"),
        ("padding", "\(header)=.\(payload).c2ln", "IN-2"),
        ("standard alphabet", "\(header).\(payload).c2l+", "IN-2"),
        ("non-JSON header", "\(segment("not json")).\(payload).c2ln", "IN-2"),
        ("array payload", "\(header).\(segment("[1]")).c2ln", "IN-2"),
        (
            "oversized header", "\(segment("{\"a\":\"" + String(repeating: "x", count: 1100) + "\"}")).\(payload).c2ln",
            "IN-2"
        ),
        (
            "oversized payload", "\(header).\(segment("{\"a\":\"" + String(repeating: "x", count: 9000) + "\"}")).c2ln",
            "IN-2"
        ),
        ("duplicate header member", "\(segment(#"{"alg":"ES256","alg":"none"}"#)).\(payload).c2ln", "IN-6"),
        // "c2lnbg" is "sign"; with the unused low bits of "g" set it would decode to the same bytes.
        ("non-canonical last character of the signature", "\(header).\(payload).\(nonCanonical("c2lnbg"))", "IN-2"),
        ("non-canonical last character of the payload", "\(header).\(nonCanonical(payload)).c2ln", "IN-2"),
        ("duplicate claim", "\(header).\(segment(#"{"sub":"a","sub":"b"}"#)).c2ln", "IN-6"),
    ])
    func refusesBadShapes(name: String, token: String, rule: String) {
        do {
            _ = try CompactJWS.parse(token)
            Issue.record("\(name) was accepted")
        } catch {
            #expect(error.rule == rule, "\(name)")
        }
    }
}

@Suite struct Base64URLTests {
    @Test(arguments: [
        ("", ""), ("f", "Zg"), ("fo", "Zm8"), ("foo", "Zm9v"), ("foob", "Zm9vYg"), ("fooba", "Zm9vYmE"),
        ("foobar", "Zm9vYmFy"),
    ])
    func encodesRFC4648Vectors(text: String, encoded: String) {
        #expect(Base64URL.encode(Array(text.utf8)) == encoded)
        #expect(Base64URL.encode(text.utf8) == encoded)  // the generic entry point
        #expect(Base64URL.decode(encoded) == Array(text.utf8))
    }

    /// IN-2: one byte string, one encoding. Two characters carry 12 bits for 8, three carry 18
    /// for 16: the rest must be zero, or two tokens would decode the same.
    @Test(arguments: [
        ("Zg", true), ("Zh", false), ("Zv", false), ("Zm8", true), ("Zm9", false), ("Zm-", false),
        ("Zm9v", true), ("Z", false), ("Zg=", false), ("Zg==", false), ("Z+g", false), ("Z/g", false),
        ("AA", true), ("AB", false), ("AAA", true), ("AAB", false), ("____", true), ("__8", true), ("__9", false),
    ])
    func decodesOnlyCanonicalText(text: String, accepted: Bool) {
        #expect((Base64URL.decode(text) != nil) == accepted, "\(text)")
    }

    @Test func everyEncodingDecodesBackAndNoOtherDoes() {
        for length in 0..<64 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
            let encoded = Base64URL.encode(bytes)
            #expect(Base64URL.decode(encoded) == bytes)
            if length % 3 != 0 {
                #expect(Base64URL.decode(CompactJWSTests.nonCanonical(encoded)) == nil, "\(encoded)")
            }
        }
    }

    @Test func usesTheURLAlphabetAndRoundTripsEveryByte() {
        let bytes = (0...255).map { UInt8($0) } + [0xFB, 0xFF, 0xBF]
        let encoded = Base64URL.encode(bytes)
        #expect(!encoded.contains("+") && !encoded.contains("/") && !encoded.contains("="))
        #expect(Base64URL.decode(encoded) == bytes)
    }
}
