import Foundation
import Logging
import LogoutCore
import LogoutJWT
import ServiceLifecycle

/// Replicas of a shared store publish the same JWKS and sign with the same keys: every key file
/// of `keys.dir` is kept in the store, sealed with the secrets key (the key-encryption key each
/// replica loads from its credential), and written into the `keys.dir` of the replicas that lack
/// it. At start under the cluster's key lock, then every `interval`, which is also how a
/// rotation made on one replica reaches the others.
struct KeySync: Service {
    let store: any SharedStore
    let secrets: SecretBox
    let configuration: LogoutdConfiguration
    let keys: SigningKeyring
    let now: @Sendable () -> Timestamp
    let logger: Logger
    var interval: Duration = .seconds(30)

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            if Task.isShuttingDownGracefully || Task.isCancelled { return }
            do {
                try await syncOnce()
            } catch {
                logger.warning("cannot share signing keys with the other replicas", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Shares new local keys, fetches new shared ones, and takes the shared schedule over.
    func syncOnce() async throws {
        let directory = configuration.keysDirectory
        let credentials = configuration.credentialsDirectory
        try await Self.share(
            store: store,
            secrets: secrets,
            files: try SigningKeyStore.open(directory: directory, now: now())
        )
        let fetched = try await Self.fetch(store: store, secrets: secrets, directory: directory)
        let files = try SigningKeyStore.open(directory: directory, credentialsDirectory: credentials, now: now())
        keys.replace(files: files, scheduled: Self.schedule(try await store.scheduledKeys()))
        if fetched > 0 {
            logger.notice("signing keys of another replica taken over", metadata: ["count": "\(fetched)"])
        }
    }

    /// Writes the shared keys missing from `directory` (owner-only, as the daemon's own).
    /// Returns how many.
    @discardableResult
    static func fetch(store: any SharedStore, secrets: SecretBox, directory: String) async throws -> Int {
        let present = Set((try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? [])
        var written = 0
        for key in try await store.sealedSigningKeys() where !present.contains(key.file) {
            guard !key.file.contains("/"), !key.file.hasPrefix(".") else { continue }
            let bytes = try secrets.open(key.sealed, for: SealedSigningKey.field(keyID: key.keyID))
            try FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            let path = directory + "/" + key.file
            guard
                FileManager.default.createFile(
                    atPath: path,
                    contents: Data(bytes),
                    attributes: [.posixPermissions: 0o600]
                )
            else { throw StoreBackend.Failure(description: "cannot write the shared signing key \(path)") }
            written += 1
        }
        return written
    }

    /// Seals and shares the keys of `keys.dir` (not those handed over as credentials: the
    /// operator distributes those) that the store holds no copy of.
    static func share(store: any SharedStore, secrets: SecretBox, files: SigningKeyStore) async throws {
        let shared = Set(try await store.sealedSigningKeys().map(\.keyID))
        var keys: [SealedSigningKey] = []
        for stored in files.keys where !stored.isCredential && !shared.contains(stored.key.keyID) {
            guard let bytes = FileManager.default.contents(atPath: files.directory + "/" + stored.fileName) else {
                continue
            }
            let sealed = try secrets.seal(Array(bytes), for: SealedSigningKey.field(keyID: stored.key.keyID))
            keys.append(SealedSigningKey(keyID: stored.key.keyID, file: stored.fileName, sealed: sealed))
        }
        try await store.shareSigningKeys(keys)
    }

    static func schedule(_ records: [SigningKeyRecord]) -> [KeySchedule.Key] {
        records.compactMap { record in
            SigningAlgorithm(rawValue: record.algorithm).map {
                KeySchedule.Key(
                    keyID: record.keyID,
                    algorithm: $0,
                    publishedAt: record.publishedAt,
                    signsFrom: record.signsFrom
                )
            }
        }
    }
}
