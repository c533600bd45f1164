/// What replicas sharing one store need of it besides `LogoutStore`: word of what the others
/// changed (work queued, issuers edited), and the signing keys they must all publish and sign
/// with. The services that coordinate replicas depend on this capability, not on the store that
/// has it (PostgreSQL's); the embedded store, used by one daemon, has none.
public protocol SharedStore: LogoutStore {
    /// Calls `onNotify` whenever any replica queued work (a logout recorded, a redelivery, leases
    /// handed back), and once after a lost connection is back, until the task is cancelled.
    func listenForQueue(retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async
    /// Calls `onNotify` whenever any replica changed the issuers (and once after a lost
    /// connection is back) until the task is cancelled.
    func listenForRegistry(retry: Duration, _ onNotify: @escaping @Sendable () -> Void) async
    /// The key files of every replica, sealed with the secrets key they all load.
    func sealedSigningKeys() async throws -> [SealedSigningKey]
    /// Stores sealed keys whose schedule row has none yet; a key already shared keeps its bytes.
    func shareSigningKeys(_ keys: [SealedSigningKey]) async throws
    /// Runs `body` while holding the cluster's key lock, so that replicas starting together on an
    /// empty store create one set of keys, not one each.
    func withKeyLock(_ body: @escaping @Sendable () async throws -> Void) async throws
}

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
