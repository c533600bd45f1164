import Logging
import LogoutCore
import PostgresNIO

extension PostgresStore: SharedStore {
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
