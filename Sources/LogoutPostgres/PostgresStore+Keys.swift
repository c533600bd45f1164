import Logging
import LogoutCore
import PostgresNIO

/// One of our signing keys as the replicas share it: the key file's bytes, sealed with the
/// secrets key every replica loads from its credential (the key-encryption key).
public struct SealedSigningKey: Sendable, Equatable {
    public var keyID: String
    public var file: String
    public var sealed: [UInt8]

    public init(keyID: String, file: String, sealed: [UInt8]) {
        self.keyID = keyID
        self.file = file
        self.sealed = sealed
    }

    /// What the seal is bound to, so a sealed key cannot be passed off as another row's.
    public static func field(keyID: String) -> SealedField {
        SealedField(table: "signing_keys", column: "sealed_key", row: keyID)
    }
}

extension PostgresStore {
    public func sealedSigningKeys() async throws -> [SealedSigningKey] {
        try await read { db in
            try await db.rows(
                "SELECT kid, file, sealed_key FROM signing_keys WHERE sealed_key IS NOT NULL ORDER BY kid"
            )
            .map { row in
                SealedSigningKey(
                    keyID: try row.get("kid"),
                    file: try row.get("file"),
                    sealed: try row.bytes("sealed_key") ?? []
                )
            }
        }
    }

    /// Stores sealed keys whose schedule row has none yet; a key already shared keeps its bytes.
    public func shareSigningKeys(_ keys: [SealedSigningKey]) async throws {
        guard !keys.isEmpty else { return }
        try await write { db in
            for key in keys {
                try await db.execute(
                    """
                    UPDATE signing_keys SET sealed_key = \(ByteBuffer(bytes: key.sealed))
                    WHERE kid = \(key.keyID) AND sealed_key IS NULL
                    """
                )
            }
        }
    }

    /// Runs `body` while holding the cluster's key lock, so that replicas starting together on an
    /// empty database create one set of keys, not one each.
    public func withKeyLock(_ body: @escaping @Sendable () async throws -> Void) async throws {
        let lock: Int64 = PostgresSchema.migrationLock + 1
        try await bounded(.seconds(120)) {
            try await self.client.withConnection { connection in
                try await connection.run("SELECT pg_advisory_lock(\(lock))", logger: self.driverLogger)
                do {
                    try await body()
                } catch {
                    _ = try? await connection.run("SELECT pg_advisory_unlock(\(lock))", logger: self.driverLogger)
                    throw error
                }
                try await connection.run("SELECT pg_advisory_unlock(\(lock))", logger: self.driverLogger)
            }
        }
    }
}
