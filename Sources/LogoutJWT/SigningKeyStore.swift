import Foundation
import LogoutCore

#if canImport(Glibc)
    import Glibc
#endif

/// Our signing keys, one file each under `keys.dir`, created on first start.
///
/// Files are written 0600 in a 0700 directory through a temporary name and a rename, so a crash
/// never leaves half a key. The newest key of each algorithm signs; every key in the directory is
/// published, which is what lets an operator add the next key before it is used (OUT-4).
public struct SigningKeyStore: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public struct StoredKey: Sendable {
        public let key: SigningKey
        public let createdAt: Timestamp
        public let fileName: String
    }

    public let directory: String
    public private(set) var keys: [StoredKey]

    static let extensions: [(SigningAlgorithm, String)] = [
        (.es256, "es256.pem"), (.rs256, "rs256.pem"), (.edDSA, "ed25519.key"),
    ]

    /// Loads the directory, creating it and one key per asymmetric algorithm when missing.
    public static func open(directory: String, now: Timestamp = .now) throws -> SigningKeyStore {
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
        var store = SigningKeyStore(directory: directory, keys: [])
        try store.reload()
        for (algorithm, _) in extensions where store.active(algorithm) == nil {
            _ = try store.add(try SigningKey.generate(algorithm), now: now)
        }
        return store
    }

    /// Reads every key file; a file that cannot be read is an error, never silently skipped.
    mutating func reload() throws {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        var loaded: [StoredKey] = []
        for name in names.sorted() {
            guard let (algorithm, _) = Self.extensions.first(where: { name.hasSuffix("." + $0.1) }) else { continue }
            let path = directory + "/" + name
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
            loaded.append(StoredKey(key: key, createdAt: created, fileName: name))
        }
        keys = loaded
    }

    /// Writes a new key; it becomes the active key of its algorithm.
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

    /// The key that signs for `algorithm`: the newest of that algorithm.
    public func active(_ algorithm: SigningAlgorithm) -> SigningKey? {
        keys.filter { $0.key.algorithm == algorithm }.max { ($0.createdAt, $0.fileName) < ($1.createdAt, $1.fileName) }?
            .key
    }

    public var publicJWKS: [[String: String]] {
        keys.map(\.key.publicJWK)
    }
}
