import Crypto
import Foundation

/// Seals the secrets kept in SQLite (issuer shared secrets, RP client secrets, session tokens)
/// with AES-256-GCM (SEC-2), so a copy of the database alone reveals none of them.
///
/// The key lives in `keys.dir/secrets.key` (0600), next to our signing keys, and is created on
/// first start. Back it up with the database: without it the sealed secrets are lost.
public struct SecretBox: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    public static func open(directory: String) throws -> SecretBox {
        let path = directory + "/secrets.key"
        if let data = FileManager.default.contents(atPath: path) {
            guard data.count == 32 else { throw Failure(description: "\(path) must hold exactly 32 bytes") }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600])
        else { throw Failure(description: "cannot create \(path)") }
        return SecretBox(key: key)
    }

    public func seal(_ plaintext: [UInt8]) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plaintext, using: key).combined else {
            throw Failure(description: "sealing failed")
        }
        return [UInt8](combined)
    }

    public func open(_ sealed: [UInt8]) throws -> [UInt8] {
        do {
            return [UInt8](try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
        } catch {
            throw Failure(
                description: "a stored secret cannot be decrypted: is keys.dir/secrets.key the one it was sealed with?"
            )
        }
    }
}
