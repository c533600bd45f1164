import Foundation
import LogoutCore

#if canImport(Glibc)
    import Glibc
#endif

/// Our signing keys' files: one each under `keys.dir` (created on first start, and by
/// `keys rotate`), and read-only ones an operator hands over as systemd credentials.
///
/// Files are written 0600 in a 0700 directory through a temporary name and a rename, so a crash
/// never leaves half a key. Which key signs and which are published is `KeySchedule`'s call.
public struct SigningKeyStore: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public struct StoredKey: Sendable {
        public let key: SigningKey
        public let createdAt: Timestamp
        public let fileName: String
        /// From `$CREDENTIALS_DIRECTORY`: read-only, never removed by logoutd.
        public var isCredential = false
    }

    public let directory: String
    /// systemd's `$CREDENTIALS_DIRECTORY`, where keys may also come from (`LoadCredential=`).
    public let credentialsDirectory: String?
    public private(set) var keys: [StoredKey]

    static let extensions: [(SigningAlgorithm, String)] = [
        (.es256, "es256.pem"), (.rs256, "rs256.pem"), (.edDSA, "ed25519.key"),
    ]

    /// Loads the directory, creating it and one key per asymmetric algorithm when missing.
    public static func open(
        directory: String,
        credentialsDirectory: String? = nil,
        now: Timestamp = Timestamp(Date())
    ) throws -> SigningKeyStore {
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: directory, isDirectory: &isDirectory) {
            do {
                try fileManager.createDirectory(
                    atPath: directory,
                    withIntermediateDirectories: true,
                    attributes: [.posixPermissions: 0o700]
                )
            } catch {
                throw Failure(description: "cannot create keys.dir \(directory): \(error.localizedDescription)")
            }
        } else if !isDirectory.boolValue {
            throw Failure(description: "keys.dir \(directory) is not a directory")
        }
        var store = SigningKeyStore(directory: directory, credentialsDirectory: credentialsDirectory, keys: [])
        try store.reload()
        for (algorithm, _) in extensions where !store.keys.contains(where: { $0.key.algorithm == algorithm }) {
            _ = try store.add(try SigningKey.generate(algorithm), now: now)
        }
        return store
    }

    /// Reads every key file; a file that cannot be read is an error, never silently skipped.
    mutating func reload() throws {
        var loaded: [StoredKey] = []
        for (folder, isCredential) in [(directory, false), (credentialsDirectory, true)] {
            guard let folder, !folder.isEmpty else { continue }
            loaded += try Self.load(folder: folder, isCredential: isCredential)
        }
        keys = loaded
    }

    private static func load(folder: String, isCredential: Bool) throws -> [StoredKey] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        var loaded: [StoredKey] = []
        for name in names.sorted() {
            guard let (algorithm, _) = Self.extensions.first(where: { name.hasSuffix("." + $0.1) }) else { continue }
            let path = folder + "/" + name
            try SecretFile.checkPrivate(path, what: "the signing key")
            let contents: String
            do {
                contents = try String(contentsOfFile: path, encoding: .utf8)
            } catch {
                throw Failure(description: "cannot read signing key \(path): \(error.localizedDescription)")
            }
            let key: SigningKey
            do {
                key = try SigningKey.load(contents, algorithm: algorithm)
            } catch {
                throw Failure(description: "signing key \(path) is not a valid \(algorithm.rawValue) private key")
            }
            let attributes = try? FileManager.default.attributesOfItem(atPath: path)
            let created = (attributes?[.modificationDate] as? Date).map(Timestamp.init) ?? .distantPast
            loaded.append(StoredKey(key: key, createdAt: created, fileName: name, isCredential: isCredential))
        }
        return loaded
    }

    /// Writes a new key under `keys.dir`.
    public mutating func add(_ key: SigningKey, now: Timestamp) throws -> StoredKey {
        let stamp = Int(now.millisecondsSince1970 / 1000)
        let suffix = Self.extensions.first { $0.0 == key.algorithm }!.1
        let name = "\(stamp)-\(key.keyID.prefix(16)).\(suffix)"
        let path = directory + "/" + name
        let temporary = path + ".tmp"
        let fileManager = FileManager.default
        guard
            fileManager.createFile(
                atPath: temporary,
                contents: Data(key.fileContents.utf8),
                attributes: [.posixPermissions: 0o600]
            )
        else { throw Failure(description: "cannot write signing key under \(directory)") }
        guard rename(temporary, path) == 0 else {
            throw Failure(description: "cannot write signing key \(path): \(String(cString: strerror(errno)))")
        }
        let stored = StoredKey(key: key, createdAt: now, fileName: name)
        keys.append(stored)
        return stored
    }

    /// Deletes a retired key's file (never a credential's): a private key nobody should sign
    /// with again is safest gone.
    public mutating func remove(keyID: String) throws {
        guard let index = keys.firstIndex(where: { $0.key.keyID == keyID && !$0.isCredential }) else { return }
        let path = directory + "/" + keys[index].fileName
        guard unlink(path) == 0 || errno == ENOENT else {
            throw Failure(description: "cannot remove retired signing key \(path): \(String(cString: strerror(errno)))")
        }
        keys.remove(at: index)
    }
}
