/// Base64url without padding (RFC 7515 §2), decoded strictly.
///
/// A token that differs from another only in its encoding must not count as a different token
/// (rulebook IN-2, IN-16): anything outside `[A-Za-z0-9_-]` is refused, and so is a last character
/// whose unused low bits are set (`Zg` and `Zh` would otherwise both decode to `f`).
public enum Base64URL {
    public static func isCanonicalAlphabet(_ bytes: some Collection<UInt8>) -> Bool {
        bytes.allSatisfy { decodeTable[Int($0)] != invalid }
    }

    public static func decode(_ text: some StringProtocol) -> [UInt8]? {
        decode(bytes: Array(text.utf8))
    }

    public static func decode(bytes: some Collection<UInt8>) -> [UInt8]? {
        let remainder = bytes.count % 4
        guard remainder != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bitCount = 0
        for byte in bytes {
            let value = decodeTable[Int(byte)]
            guard value != invalid else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bitCount += 6
            if bitCount >= 8 {
                bitCount -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bitCount)))
            }
        }
        // Two characters carry 12 bits for one byte, three carry 18 for two: the 4 or 2 bits
        // left over must be zero in the canonical encoding.
        let unused = accumulator & ((1 << UInt32(bitCount)) - 1)
        guard unused == 0 else { return nil }
        return output
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    private static let invalid: UInt8 = 0xFF
    private static let decodeTable: [UInt8] = {
        var table = [UInt8](repeating: invalid, count: 256)
        for (value, character) in alphabet.enumerated() { table[Int(character)] = UInt8(value) }
        return table
    }()

    /// Encodes straight to the URL alphabet: minting runs this three times per attempt, and the
    /// Foundation route (standard base64, then string replacements) showed up in profiles.
    public static func encode(_ bytes: some Sequence<UInt8>) -> String {
        encode(Array(bytes))
    }

    /// Not generic, so that callers in other modules (minting) do not go through the generic
    /// entry point and its witness tables per byte; the text is written in place.
    public static func encode(_ input: [UInt8]) -> String {
        let length = (input.count * 4 + 2) / 3
        return input.withUnsafeBufferPointer { input in
            alphabet.withUnsafeBufferPointer { alphabet in
                String(unsafeUninitializedCapacity: length) { output in
                    var index = 0
                    var written = 0
                    func put(_ chunk: UInt32, _ shift: UInt32) {
                        output[written] = alphabet[Int(chunk >> shift & 63)]
                        written += 1
                    }
                    while index + 3 <= input.count {
                        let chunk =
                            UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8 | UInt32(input[index + 2])
                        put(chunk, 18)
                        put(chunk, 12)
                        put(chunk, 6)
                        put(chunk, 0)
                        index += 3
                    }
                    switch input.count - index {
                    case 1:
                        let chunk = UInt32(input[index]) << 16
                        put(chunk, 18)
                        put(chunk, 12)
                    case 2:
                        let chunk = UInt32(input[index]) << 16 | UInt32(input[index + 1]) << 8
                        put(chunk, 18)
                        put(chunk, 12)
                        put(chunk, 6)
                    default:
                        break
                    }
                    return written
                }
            }
        }
    }
}
