/// SSF receivers and their streams (contract C7, rulebook SSF-2): who may manage streams, what
/// each stream asked for, and the subjects added to it.
public protocol SharedSignalsStore: Sendable {
    /// - Throws: `RegistryError.conflict` for a taken name.
    func insertReceiver(_ receiver: StoredReceiver) async throws
    /// With their stream counts, by name.
    func receivers() async throws -> [StoredReceiver]
    /// The receiver presenting the token of this hash.
    func receiver(tokenHash: String) async throws -> StoredReceiver?
    /// Removes a receiver and its streams.
    /// - Throws: `RegistryError.notFound`.
    func deleteReceiver(named name: String) async throws

    /// - Throws: `RegistryError.notFound` when the receiver is gone, `.conflict` for a taken id.
    func insertStream(_ stream: StoredStream) async throws
    /// A receiver's streams (every stream when `receiver` is nil), oldest first.
    func streams(receiver: String?) async throws -> [StoredStream]
    func stream(id: String) async throws -> StoredStream?
    /// Replaces the stream's configuration, authorization and status; keeps its subjects.
    /// - Throws: `RegistryError.notFound`.
    func replaceStream(_ stream: StoredStream) async throws
    /// Removes a stream and its subjects.
    /// - Throws: `RegistryError.notFound`.
    func deleteStream(id: String) async throws

    /// Streams carry every person (`default_subjects: "ALL"`) except the subjects their receiver
    /// removed: the store keeps those (canonical JSON text). True when newly removed.
    /// - Throws: `RegistryError.notFound` when the stream is gone.
    func removeStreamSubject(streamID: String, subject: String, now: Timestamp) async throws -> Bool
    /// Takes a removed subject back (the receiver added it again); false when it was not removed.
    func restoreStreamSubject(streamID: String, subject: String) async throws -> Bool
    /// The subjects removed from the stream, in the order they were removed.
    func removedStreamSubjects(streamID: String) async throws -> [String]
}
