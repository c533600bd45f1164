import Crypto
import Foundation
import LogoutCore

public enum Digests {
    /// The full SHA-256 of a token, hex: the replay key component (IN-12). The log shows a prefix.
    public static func tokenHash(_ token: String) -> String {
        hex(SHA256.hash(data: Array(token.utf8)))
    }

    /// SHA-256 of a JWS's signing input (header and payload as sent), hex: what makes a token
    /// the same token for replay detection, however its signature is encoded (IN-12, IN-16).
    public static func signingInputHash(_ jws: CompactJWS) -> String {
        hex(SHA256.hash(data: jws.signingInput))
    }

    /// Compares two secrets in time independent of where they differ (SEC-3): both sides are
    /// hashed first, and swift-crypto compares digests in constant time.
    public static func constantTimeEquals(_ lhs: String, _ rhs: String) -> Bool {
        SHA256.hash(data: Array(lhs.utf8)) == SHA256.hash(data: Array(rhs.utf8))
    }

    /// Random bits, base64url: our `jti`s (128 bits by default) and admin tokens. BoringSSL's
    /// generator, seeded by the kernel, costs no system call per byte (one `jti` per attempt).
    public static func randomIdentifier(bytes count: Int = 16) -> String {
        SymmetricKey(size: SymmetricKeySize(bitCount: count * 8)).withUnsafeBytes { Base64URL.encode($0) }
    }

    /// A random identifier that is also a command-line argument as it is (`logoutd ssf streams
    /// sets ID`): one in 64 base64url identifiers starts with `-`, which an argument parser reads
    /// as an option (found by a CLI test that failed now and then).
    public static func randomArgumentIdentifier() -> String {
        while true {
            let id = randomIdentifier()
            if id.first != "-" { return id }
        }
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
