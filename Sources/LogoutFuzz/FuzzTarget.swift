import LogoutCore

/// One input through every parser an anonymous client reaches: the form body, the compact JWS
/// (with its base64url and strict JSON), the token rules, and the browser routes' parameters
/// (`BrowserFuzzTarget`). Besides "no crash", it checks properties that a parser bug would break.
enum FuzzTarget {
    static let policy = IssuerPolicy(
        name: "fuzz",
        issuer: "https://idp.example",
        audience: "logoutd",
        algorithms: JWSAlgorithm.asymmetricDefaults,
        trust: .keys
    )

    static func run(_ data: [UInt8]) {
        let text = String(decoding: data, as: UTF8.self)
        let form = FormBody(data)
        for token in form?.values(named: "logout_token") ?? [] { checkToken(token) }
        checkToken(text)
        checkJSON(data)
        checkBase64URL(data)
        BrowserFuzzTarget.run(text: text, form: form)
    }

    static func checkToken(_ token: String) {
        guard let jws = try? CompactJWS.parse(token) else { return }
        precondition(jws.signingInput.count < token.utf8.count, "the signing input is a prefix of the token")
        _ = try? LogoutTokenValidator.checkHeader(jws.header, policy: policy)
        _ = try? LogoutTokenValidator.checkClaims(
            jws.payload,
            policy: policy,
            now: Timestamp(millisecondsSince1970: 1_800_000_000_000)
        )
    }

    /// A document the strict parser accepts serialises to one it parses back to the same value.
    static func checkJSON(_ data: [UInt8]) {
        guard let value = try? StrictJSONParser.parse(data) else { return }
        let again = try? StrictJSONParser.parse(JSONSerializer.serialize(value))
        precondition(again == value || value.containsNaNOrHugeNumber, "JSON did not round-trip")
    }

    /// Canonical base64url: whatever decodes re-encodes to exactly the same text.
    static func checkBase64URL(_ data: [UInt8]) {
        guard let decoded = Base64URL.decode(bytes: data) else { return }
        precondition(Array(Base64URL.encode(decoded).utf8) == data, "base64url accepted a non-canonical text")
    }
}

extension JSONValue {
    /// Numbers the serialiser cannot write back exactly (it writes Swift's shortest form).
    var containsNaNOrHugeNumber: Bool {
        switch self {
        case .number(let number): return !number.isFinite || abs(number) >= 9.0e15
        case .array(let elements): return elements.contains { $0.containsNaNOrHugeNumber }
        case .object(let members): return members.values.contains { $0.containsNaNOrHugeNumber }
        default: return false
        }
    }
}
