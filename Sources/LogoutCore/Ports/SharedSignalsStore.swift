/// SSF receivers and their streams (contract C7, rulebook SSF-2): who may manage streams, what
/// each stream asked for, and the subjects added to it.
public protocol SharedSignalsStore: Sendable {
    /// - Throws: `RegistryError.conflict` for a taken name.
    func insertReceiver(_ receiver: StoredReceiver) async throws
    /// With their stream counts, by name.
    func receivers() async throws -> [StoredReceiver]
    /// The receiver presenting the token of this hash.
    func receiver(tokenHash: String) async throws -> StoredReceiver?
    /// The receiver that takes access tokens (it has an `oauthIssuer`) naming `clientID`: its
    /// `oauthClientID`, or its name when it has none.
    func receiver(oauthClientID clientID: String) async throws -> StoredReceiver?
    /// Removes a receiver and its streams.
    /// - Throws: `RegistryError.notFound`.
    func deleteReceiver(named name: String) async throws

    /// - Throws: `RegistryError.notFound` when the receiver is gone, `.conflict` for a taken id.
    func insertStream(_ stream: StoredStream) async throws
    /// A receiver's streams (every stream when `receiver` is nil), oldest first.
    func streams(receiver: String?) async throws -> [StoredStream]
    func stream(id: String) async throws -> StoredStream?
    /// Replaces the stream's configuration and sealed credential; keeps its status and removed
    /// subjects (a status change and a configuration change at the same moment both hold).
    /// - Throws: `RegistryError.notFound`.
    func replaceStream(_ stream: StoredStream) async throws
    /// Sets the status and, in the same write, what it means for the stream's waiting SETs
    /// (SSF §8.1.2): paused holds them, enabled releases them, disabled drops them (failed).
    /// - Throws: `RegistryError.notFound`.
    func setStreamStatus(id: String, _ status: StoredStream.Status, reason: String?, now: Timestamp) async throws
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

    /// One fan-out pass, in one transaction: the accepted logouts not fanned out yet (up to
    /// `limit`, oldest first), every stream with its removed subjects, `plan`'s SETs stored and
    /// those logouts marked done, so a SET is made once per logout and stream, even after a crash.
    /// A store may commit a pass without waiting for the disk: a power cut before its next synced
    /// commit can make a pass again, with new `jti`s (a redelivery, never a lost SET).
    /// Returns how many logouts were read.
    func fanOutSecurityEvents(
        limit: Int,
        now: Timestamp,
        plan: @escaping @Sendable ([FannedOutLogout], [(StoredStream, [String])]) throws -> [NewSecurityEvent]
    ) async throws -> Int
    /// Stores one SET (a verification).
    func insertSecurityEvent(_ event: NewSecurityEvent, now: Timestamp) async throws
    /// A stream's pending SETs, oldest first.
    func pendingSecurityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent]
    /// Acknowledged SETs become delivered, refused ones failed with their error; only the
    /// stream's pending SETs change. Returns how many changed.
    func finishSecurityEvents(
        streamID: String,
        delivered: [String],
        failed: [String: String],
        now: Timestamp
    ) async throws -> Int
    /// Deletes the SETs made before `cutoff`, whatever their status (`ssf.retention`). Returns
    /// how many were deleted, and how many of those were never delivered.
    func purgeSecurityEvents(before cutoff: Timestamp) async throws -> (deleted: Int, undelivered: Int)
    /// A stream's SETs, newest first (the admin's view).
    func securityEvents(streamID: String, limit: Int) async throws -> [StoredSecurityEvent]
}
