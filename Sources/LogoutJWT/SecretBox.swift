import Crypto
import Foundation
import LogoutCore

/// Seals the secrets kept in SQLite (issuer shared secrets, RP client secrets, session tokens)
/// with AES-256-GCM (SEC-2), bound to their row and column (SEC-6), so a copy of the database
/// alone reveals none of them and a sealed value moved to another row does not open.
///
/// The key is a 32-byte file, created on first start. Keep it apart from the database (its own
/// path, or systemd's `LoadCredential=`): a backup that carries the database and its key together
/// protects nothing.
public struct SecretBox: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let key: SymmetricKey

    public init(key: SymmetricKey) {
        self.key = key
    }

    /// Loads the key at `path`, or creates it (0600) when missing.
    public static func open(path: String) throws -> SecretBox {
        if FileManager.default.fileExists(atPath: path) {
            try SecretFile.checkPrivate(path, what: "the secrets key")
            guard let data = FileManager.default.contents(atPath: path) else {
                throw Failure(description: "cannot read the secrets key \(path)")
            }
            guard data.count == 32 else { throw Failure(description: "\(path) must hold exactly 32 bytes") }
            return SecretBox(key: SymmetricKey(data: data))
        }
        let key = SymmetricKey(size: .bits256)
        let bytes = key.withUnsafeBytes { Data($0) }
        guard FileManager.default.createFile(atPath: path, contents: bytes, attributes: [.posixPermissions: 0o600])
        else { throw Failure(description: "cannot create the secrets key \(path)") }
        return SecretBox(key: key)
    }

    /// A keyed digest of `message` (HMAC-SHA-256, hex) under a key derived from the secrets key
    /// for `purpose` alone: values the browser carries back that nobody without the key can
    /// compute, the same on every replica that shares the key.
    public func mac(_ message: String, purpose: String) -> String {
        let derived = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: key,
            info: Array(("logoutd " + purpose).utf8),
            outputByteCount: 32
        )
        let code = HMAC<SHA256>.authenticationCode(for: Array(message.utf8), using: derived)
        return Digests.hex(code)
    }

    public func seal(_ plaintext: [UInt8], for field: SealedField) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plaintext, using: key, authenticating: field.associatedData).combined
        else {
            throw Failure(description: "sealing failed")
        }
        return [UInt8](combined)
    }

    public func open(_ sealed: [UInt8], for field: SealedField) throws -> [UInt8] {
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            return [UInt8](try AES.GCM.open(box, using: key, authenticating: field.associatedData))
        } catch {
            throw Failure(
                description:
                    "the stored \(field) cannot be decrypted: is the secrets key the one it was sealed with, and was the value not copied from another row?"
            )
        }
    }

    /// Opens a value sealed before associated data was bound (databases from before schema v2):
    /// used once, to re-seal those values bound to their row.
    public func openUnbound(_ sealed: [UInt8]) throws -> [UInt8] {
        do {
            return [UInt8](try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key))
        } catch {
            throw Failure(
                description: "a stored secret cannot be decrypted: is the secrets key the one it was sealed with?"
            )
        }
    }
}

/// Files that hold secrets must be readable by the service alone (SEC-6).
public enum SecretFile {
    /// - Throws: when the file is accessible by group or others, saying how to fix it.
    public static func checkPrivate(_ path: String, what: String) throws {
        guard let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let mode = (attributes[.posixPermissions] as? NSNumber)?.uint16Value
        else { return }
        if mode & 0o077 != 0 {
            throw SecretBox.Failure(
                description:
                    "\(what) \(path) is accessible by group or others (mode \(String(mode & 0o777, radix: 8))); "
                    + "run: chmod 600 \(path)"
            )
        }
    }
}
