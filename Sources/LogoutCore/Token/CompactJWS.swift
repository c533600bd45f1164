/// A JWS in compact serialization, split and decoded but not yet trusted.
///
/// Parsing checks shape before content (rulebook IN-2): the dots are counted before splitting so
/// that a token of 100,000 dots costs one linear scan, and each segment is size-capped before it
/// is decoded (CVE-2025-30204, CVE-2025-27144).
public struct CompactJWS: Sendable {
    public static let maximumHeaderBytes = 1024
    public static let maximumPayloadBytes = 8 * 1024
    public static let maximumSignatureBytes = 1024

    public let header: [String: JSONValue]
    public let payload: [String: JSONValue]
    /// `BASE64URL(header) "." BASE64URL(payload)`: the bytes the signature covers.
    public let signingInput: [UInt8]
    public let signature: [UInt8]

    public static func parse(_ token: String) throws(TokenRejection) -> CompactJWS {
        let bytes = Array(token.utf8)
        var dots: [Int] = []
        for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: ".") {
            dots.append(offset)
            if dots.count > 4 { break }
        }
        if dots.count == 4 {
            throw TokenRejection("IN-2", "encrypted (JWE) logout tokens are not accepted")
        }
        guard dots.count == 2 else {
            throw TokenRejection("IN-2", "the logout_token must be a JWS in compact form (three segments)")
        }
        let headerSegment = bytes[0..<dots[0]]
        let payloadSegment = bytes[(dots[0] + 1)..<dots[1]]
        let signatureSegment = bytes[(dots[1] + 1)...]
        guard !headerSegment.isEmpty, !payloadSegment.isEmpty, !signatureSegment.isEmpty else {
            throw TokenRejection("IN-2", "the logout_token has an empty segment")
        }
        guard headerSegment.count <= encodedLength(maximumHeaderBytes) else {
            throw TokenRejection("IN-2", "the JOSE header is larger than \(maximumHeaderBytes) bytes")
        }
        guard payloadSegment.count <= encodedLength(maximumPayloadBytes) else {
            throw TokenRejection("IN-2", "the claims are larger than \(maximumPayloadBytes) bytes")
        }
        guard signatureSegment.count <= encodedLength(maximumSignatureBytes) else {
            throw TokenRejection("IN-2", "the signature segment is too large")
        }
        guard let headerBytes = Base64URL.decode(bytes: headerSegment),
            let payloadBytes = Base64URL.decode(bytes: payloadSegment),
            let signature = Base64URL.decode(bytes: signatureSegment)
        else {
            throw TokenRejection("IN-2", "a segment is not canonical unpadded base64url")
        }
        let header = try decodeObject(headerBytes, what: "JOSE header")
        let payload = try decodeObject(payloadBytes, what: "claims")
        return CompactJWS(
            header: header,
            payload: payload,
            signingInput: Array(bytes[0..<dots[1]]),
            signature: signature
        )
    }

    private static func encodedLength(_ decoded: Int) -> Int {
        (decoded * 4 + 2) / 3
    }

    private static func decodeObject(_ bytes: [UInt8], what: String) throws(TokenRejection) -> [String: JSONValue] {
        let value: JSONValue
        do {
            value = try StrictJSONParser.parse(bytes)
        } catch {
            if let name = error.duplicateMember {
                throw TokenRejection("IN-6", "the \(what) repeats the member \(quoted(name))")
            }
            throw TokenRejection("IN-2", "the \(what) is not valid JSON: \(error.description)")
        }
        guard let object = value.objectValue else {
            throw TokenRejection("IN-2", "the \(what) is not a JSON object")
        }
        return object
    }
}
