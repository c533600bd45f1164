import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// Shared Signals receivers (contract C7): the admin registers one and hands its token over;
/// the receiver manages its own streams with it on the public listener.
struct ReceiverAdmin: Sendable {
    let context: AdminContext

    func create(_ registration: ReceiverRegistration) async throws -> ReceiverCreated {
        try RegistrationRules.name(registration.name)
        var oauthIssuer: String?
        if let named = registration.oauthIssuer {
            guard let issuer = context.directory.registered(named) else {
                throw AdminError(.invalidRequest, "invalid_request", "oauth_issuer \(named) is not a registered issuer")
            }
            // An authorization server signs with keys it alone holds: a shared secret is held by
            // the app too, which could then speak for the receiver.
            if case .sharedSecret = context.directory.entry(named: issuer.name)?.trust {
                throw AdminError(
                    .invalidRequest,
                    "invalid_request",
                    "oauth_issuer \(named) verifies with a shared secret; name an issuer with a JWKS"
                )
            }
            oauthIssuer = issuer.name
        }
        if let clientID = registration.oauthClientID {
            guard oauthIssuer != nil else {
                throw AdminError(.invalidRequest, "invalid_request", "oauth_client_id needs an oauth_issuer")
            }
            try RegistrationRules.identifier(clientID, field: "oauth_client_id", maximum: 256)
        }
        // 256 bits: a bearer token guessed by no one; only its hash is stored, and a presented
        // token is looked up by its hash (a full SHA-256, so the lookup leaks nothing usable).
        let token = Digests.randomIdentifier(bytes: 32)
        let receiver = StoredReceiver(
            name: registration.name,
            tokenHash: Digests.tokenHash(token),
            createdAt: context.now(),
            oauthIssuer: oauthIssuer,
            oauthClientID: registration.oauthClientID == registration.name ? nil : registration.oauthClientID
        )
        try await context.storage { try await context.store.insertReceiver(receiver) }
        context.logger.info("SSF receiver registered", metadata: ["receiver": "\(registration.name)"])
        return ReceiverCreated(name: registration.name, token: token)
    }

    func list() async throws -> ReceiverList {
        ReceiverList(
            receivers: try await context.storage { try await context.store.receivers() }.map(ReceiverResource.init)
        )
    }

    func get(named name: String) async throws -> ReceiverResource {
        guard
            let found = try await context.storage({ try await context.store.receivers() }).first(where: {
                $0.name == name
            })
        else { throw AdminError.notFound("no SSF receiver named \(name)") }
        return ReceiverResource(found)
    }

    /// What the admin reads of a stream: its configuration as the core wrote it. A row that no
    /// longer reads (edited by hand) is still listed, with what the row itself says.
    func streams(receiver: String?) async throws -> StreamList {
        let stored = try await context.storage { try await context.store.streams(receiver: receiver) }
        return StreamList(
            streams: stored.map { stream in
                let configuration = try? StreamConfiguration(storedText: stream.configuration)
                return StreamResource(
                    streamID: stream.id,
                    receiver: stream.receiver,
                    status: stream.status.rawValue,
                    statusReason: stream.statusReason,
                    deliveryMethod: configuration?.delivery.method.rawValue ?? "unreadable",
                    endpointURL: configuration?.delivery.endpointURL ?? "",
                    eventsDelivered: configuration?.eventsDelivered.map(\.rawValue) ?? [],
                    createdAt: stream.createdAt,
                    updatedAt: stream.updatedAt,
                    breaker: stream.breaker.state.rawValue,
                    breakerError: stream.breaker.state == .closed ? nil : stream.breaker.lastError
                )
            }
        )
    }

    func securityEvents(streamID: String, limit: Int) async throws -> SecurityEventList {
        guard try await context.storage({ try await context.store.stream(id: streamID) }) != nil else {
            throw AdminError.notFound("no SSF stream with id \(streamID)")
        }
        let sets = try await context.storage {
            try await context.store.securityEvents(streamID: streamID, limit: limit)
        }
        return SecurityEventList(streamID: streamID, sets: sets.map(SecurityEventResource.init))
    }

    func delete(named name: String) async throws {
        try await context.storage { try await context.store.deleteReceiver(named: name) }
        context.logger.notice("SSF receiver removed with its streams", metadata: ["receiver": "\(name)"])
    }
}
