import Logging
import LogoutCore
import LogoutJWT

/// SSF stream management (SSF-2) on the store: the core decides what a request means
/// (`StreamRequest`, `StreamStatusUpdate`, `SubjectRequest`), this type reads and writes the
/// stream, seals the push credential, and keeps every stream to the receiver that created it.
struct StreamService: StreamManagement {
    /// Seconds between verification requests of one stream (each makes a SET we keep).
    static let minimumVerificationInterval = 10
    let store: any LogoutStore
    let secrets: SecretBox
    /// Signs the SETs a poll returns (RS256, our JWKS).
    let signer: SecurityEventSigner
    /// A long poll waits at most this for a SET (RFC 8936 §2.2).
    let longPoll: Duration
    /// Our `iss`: the SETs' issuer and the metadata's.
    let issuer: String
    /// The public listener as receivers reach it, for the endpoints in the metadata.
    let publicBaseURL: String
    let allowInsecureEndpoints: Bool
    /// Wakes the push engine: a SET made, a stream enabled or pointed elsewhere.
    let pushes: Waker
    /// OAuth access tokens of registered issuers, besides receivers' own tokens.
    let accessTokens: AccessTokenAuthenticator?
    /// The per-client budget of refusals the intake and the sign-in form share (SEC-4).
    let limiter: RejectionLimiter?
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// A refused token is charged to its client (SEC-4), and a client past its budget gets `429`
    /// before any lookup or signature check: guessing tokens, or sending forged access tokens
    /// that make us fetch an issuer's keys, cannot go on.
    func receiver(presenting token: String, writing: Bool, budgetKey: String?) async throws -> StreamAuthentication {
        if let wait = limiter?.spent(client: budgetKey) { return .rateLimited(wait) }
        let authentication = try await authenticate(token, writing: writing)
        guard authentication == .invalidToken, let limiter else { return authentication }
        if case .exhausted(_, let wait) = limiter.charge(client: budgetKey, issuer: nil) { return .rateLimited(wait) }
        return authentication
    }

    private func authenticate(_ token: String, writing: Bool) async throws -> StreamAuthentication {
        if let own = try await store.receiver(tokenHash: Digests.tokenHash(token)) { return .receiver(own.name) }
        guard let accessTokens, AccessTokenAuthenticator.looksLikeJWT(token) else { return .invalidToken }
        // The receiver first: only the issuer the admin named for it speaks for it (any
        // registered issuer, an app with a shared secret among them, can sign a token naming any
        // client), and its keys alone verify the token.
        // One row, by its index: a token costs one lookup, however many receivers there are.
        let outcome = try await accessTokens.authenticate(token, writing: writing) { clientID in
            try await store.receiver(oauthClientID: clientID).flatMap { receiver in
                receiver.oauthIssuer.map { (receiver: receiver.name, issuer: $0) }
            }
        }
        switch outcome {
        case .client(let receiver, _):
            return .receiver(receiver)
        case .refused(let refusal):
            if refusal.insufficientScope { return .insufficientScope(refusal.description) }
            logger.info("SSF access token refused", metadata: ["reason": "\(refusal.description)"])
            return .invalidToken
        case .unavailable:
            throw AccessTokenAuthenticator.KeysUnavailable()
        }
    }

    /// Receivers' bearer tokens, and OAuth access tokens (RFC 9068) of registered issuers.
    func metadata() -> JSONValue {
        SSFTransmitterMetadata.document(issuer: issuer, publicBaseURL: publicBaseURL)
    }

    func createStream(_ body: JSONValue, receiver: String) async throws -> JSONValue {
        let request = try StreamRequest.parse(body, kind: .create)
        if try await store.streams(receiver: receiver).count >= SSFLimits.maximumStreamsPerReceiver {
            throw SSFRequestError.conflict(
                "a receiver holds at most \(SSFLimits.maximumStreamsPerReceiver) streams: delete one first"
            )
        }
        let id = Digests.randomArgumentIdentifier()
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
        // Reads never open the push credential: the answer never shows it.
        if let streamID {
            return try configuration(of: try await owned(streamID, by: receiver)).json
        }
        return .array(try await store.streams(receiver: receiver).map { try configuration(of: $0).json })
    }

    func changeStream(_ body: JSONValue, replace: Bool, receiver: String) async throws -> JSONValue {
        let request = try StreamRequest.parse(body, kind: replace ? .replace : .update)
        guard let streamID = request.streamID else { throw SSFRequestError.badRequest("stream_id is missing") }
        var stored = try await owned(streamID, by: receiver)
        let changed = try request.applied(
            to: try configuration(of: stored, withCredential: true),
            context: context(for: receiver)
        )
        stored.configuration = changed.storedText
        stored.authorization = try seal(changed.delivery.authorizationHeader, streamID: streamID)
        stored.updatedAt = now()
        try await store.replaceStream(stored)
        pushes.signal()
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
        _ = try await owned(update.streamID, by: receiver)
        // Its own write: a configuration change at the same moment keeps this status, and the
        // stream's waiting SETs are held, released or dropped in the same transaction.
        let status = StoredStream.Status(rawValue: update.status.state.rawValue) ?? .disabled
        try await store.setStreamStatus(id: update.streamID, status, reason: update.status.reason, now: now())
        pushes.signal()
        logger.notice(
            "SSF stream status changed",
            metadata: ["receiver": "\(receiver)", "stream": "\(update.streamID)", "status": "\(status.rawValue)"]
        )
        return update.status.json(streamID: update.streamID)
    }

    func changeSubject(_ body: JSONValue, remove: Bool, receiver: String) async throws {
        let request = try SubjectRequest.parse(body)
        _ = try await owned(request.streamID, by: receiver)
        if remove {
            let subject = String(decoding: JSONSerializer.serialize(request.subject.json), as: UTF8.self)
            guard subject.utf8.count <= SSFLimits.maximumSubjectBytes else {
                throw SSFRequestError.badRequest("the subject is larger than \(SSFLimits.maximumSubjectBytes) bytes")
            }
            let removed = try await store.removedStreamSubjects(streamID: request.streamID)
            guard removed.count < SSFLimits.maximumRemovedSubjects || removed.contains(subject) else {
                throw SSFRequestError.conflict(
                    "at most \(SSFLimits.maximumRemovedSubjects) subjects can be removed from a stream"
                )
            }
            _ = try await store.removeStreamSubject(streamID: request.streamID, subject: subject, now: now())
        } else {
            // Adding a subject undoes every removal it matches (SSF §8.1.3.1), not only one
            // written the same way: the receiver's intent is that the person's events flow.
            for text in try await store.removedStreamSubjects(streamID: request.streamID) {
                guard let value = try? StrictJSONParser.parse(Array(text.utf8)),
                    let removed = try? SubjectIdentifier.parse(value), removed.matches(request.subject)
                else { continue }
                _ = try await store.restoreStreamSubject(streamID: request.streamID, subject: text)
            }
        }
    }

    /// The stream if it is this receiver's: another receiver's stream is answered as a missing
    /// one, so ids cannot be probed (SSF-2).
    func owned(_ streamID: String, by receiver: String) async throws -> StoredStream {
        guard let stored = try await store.stream(id: streamID), stored.receiver == receiver else {
            throw SSFRequestError.streamNotFound()
        }
        return stored
    }

    func configuration(of stored: StoredStream, withCredential: Bool = false) throws -> StreamConfiguration {
        var configuration = try StreamConfiguration(storedText: stored.configuration)
        if withCredential, let sealed = stored.authorization {
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
            allowInsecureEndpoints: allowInsecureEndpoints,
            minVerificationInterval: Self.minimumVerificationInterval
        )
    }

    static func status(of stored: StoredStream) -> StreamStatus {
        StreamStatus(StreamStatus.State(rawValue: stored.status.rawValue) ?? .disabled, reason: stored.statusReason)
    }
}

extension StreamConfiguration.StoredTextError: CorruptStoredData {}
extension SecretBox.Failure: CorruptStoredData {}
