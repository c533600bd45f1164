import Logging
import LogoutCore
import LogoutJWT

/// SSF stream management (SSF-2) on the store: the core decides what a request means
/// (`StreamRequest`, `StreamStatusUpdate`, `SubjectRequest`), this type reads and writes the
/// stream, seals the push credential, and keeps every stream to the receiver that created it.
struct StreamService: StreamManagement {
    let store: any LogoutStore
    let secrets: SecretBox
    /// Our `iss`: the SETs' issuer and the metadata's.
    let issuer: String
    /// The public listener as receivers reach it, for the endpoints in the metadata.
    let publicBaseURL: String
    let allowInsecureEndpoints: Bool
    let now: @Sendable () -> Timestamp
    let logger: Logger

    func receiver(presenting token: String) async throws -> String? {
        try await store.receiver(tokenHash: Digests.tokenHash(token))?.name
    }

    /// What this build serves: the verification endpoint and OAuth access tokens (RFC 6749) are
    /// named once SETs are delivered, not before (a receiver would call them and fail).
    func metadata() -> JSONValue {
        guard case .object(var document) = SSFTransmitterMetadata.document(issuer: issuer, publicBaseURL: publicBaseURL)
        else { return .null }
        document["verification_endpoint"] = nil
        document["authorization_schemes"] = .array([.object(["spec_urn": "urn:ietf:rfc:6750"])])
        return .object(document)
    }

    func createStream(_ body: JSONValue, receiver: String) async throws -> JSONValue {
        let request = try StreamRequest.parse(body, kind: .create)
        let id = Digests.randomIdentifier()
        let configuration = try request.created(streamID: id, context: context(for: receiver))
        let at = now()
        try await store.insertStream(
            StoredStream(
                id: id,
                receiver: receiver,
                configuration: configuration.storedText,
                authorization: try seal(configuration.delivery.authorizationHeader, streamID: id),
                createdAt: at,
                updatedAt: at
            )
        )
        logger.notice(
            "SSF stream created",
            metadata: [
                "receiver": "\(receiver)", "stream": "\(id)", "delivery": "\(configuration.delivery.method)",
            ]
        )
        return configuration.json
    }

    func readStreams(_ streamID: String?, receiver: String) async throws -> JSONValue {
        if let streamID {
            return try await configuration(of: try await owned(streamID, by: receiver)).json
        }
        var all: [JSONValue] = []
        for stored in try await store.streams(receiver: receiver) {
            all.append(try await configuration(of: stored).json)
        }
        return .array(all)
    }

    func changeStream(_ body: JSONValue, replace: Bool, receiver: String) async throws -> JSONValue {
        let request = try StreamRequest.parse(body, kind: replace ? .replace : .update)
        guard let streamID = request.streamID else { throw SSFRequestError.badRequest("stream_id is missing") }
        var stored = try await owned(streamID, by: receiver)
        let changed = try request.applied(to: try await configuration(of: stored), context: context(for: receiver))
        stored.configuration = changed.storedText
        stored.authorization = try seal(changed.delivery.authorizationHeader, streamID: streamID)
        stored.updatedAt = now()
        try await store.replaceStream(stored)
        logger.info("SSF stream changed", metadata: ["receiver": "\(receiver)", "stream": "\(streamID)"])
        return changed.json
    }

    func deleteStream(_ streamID: String, receiver: String) async throws {
        _ = try await owned(streamID, by: receiver)
        try await store.deleteStream(id: streamID)
        logger.notice("SSF stream deleted", metadata: ["receiver": "\(receiver)", "stream": "\(streamID)"])
    }

    func status(_ streamID: String, receiver: String) async throws -> JSONValue {
        let stored = try await owned(streamID, by: receiver)
        return Self.status(of: stored).json(streamID: streamID)
    }

    func updateStatus(_ body: JSONValue, receiver: String) async throws -> JSONValue {
        let update = try StreamStatusUpdate.parse(body)
        var stored = try await owned(update.streamID, by: receiver)
        stored.status = StoredStream.Status(rawValue: update.status.state.rawValue) ?? .disabled
        stored.statusReason = update.status.reason
        stored.updatedAt = now()
        try await store.replaceStream(stored)
        logger.notice(
            "SSF stream status changed",
            metadata: [
                "receiver": "\(receiver)", "stream": "\(update.streamID)", "status": "\(stored.status.rawValue)",
            ]
        )
        return update.status.json(streamID: update.streamID)
    }

    func changeSubject(_ body: JSONValue, remove: Bool, receiver: String) async throws {
        let request = try SubjectRequest.parse(body)
        _ = try await owned(request.streamID, by: receiver)
        let subject = String(decoding: JSONSerializer.serialize(request.subject.json), as: UTF8.self)
        if remove {
            _ = try await store.removeStreamSubject(streamID: request.streamID, subject: subject, now: now())
        } else {
            _ = try await store.restoreStreamSubject(streamID: request.streamID, subject: subject)
        }
    }

    /// The stream if it is this receiver's: another receiver's stream is answered as a missing
    /// one, so ids cannot be probed (SSF-2).
    private func owned(_ streamID: String, by receiver: String) async throws -> StoredStream {
        guard let stored = try await store.stream(id: streamID), stored.receiver == receiver else {
            throw SSFRequestError.streamNotFound()
        }
        return stored
    }

    private func configuration(of stored: StoredStream) async throws -> StreamConfiguration {
        var configuration = try StreamConfiguration(storedText: stored.configuration)
        if let sealed = stored.authorization {
            let opened = try secrets.open(sealed, for: .streamAuthorization(stored.id))
            configuration.delivery.authorizationHeader = String(decoding: opened, as: UTF8.self)
        }
        return configuration
    }

    private func seal(_ header: String?, streamID: String) throws -> [UInt8]? {
        try header.map { try secrets.seal(Array($0.utf8), for: .streamAuthorization(streamID)) }
    }

    private func context(for receiver: String) -> StreamRequest.Context {
        StreamRequest.Context(
            issuer: issuer,
            audience: [receiver],
            publicBaseURL: publicBaseURL,
            allowInsecureEndpoints: allowInsecureEndpoints
        )
    }

    static func status(of stored: StoredStream) -> StreamStatus {
        StreamStatus(StreamStatus.State(rawValue: stored.status.rawValue) ?? .disabled, reason: stored.statusReason)
    }
}
