import Logging
import LogoutAdminAPI
import LogoutCore

/// The delivery log and the admin's redeliveries (ADM-1, ADM-2, Q-3), and admin-triggered
/// logouts, which the log records with source `admin`.
struct LogAdmin: Sendable {
    let context: AdminContext

    func events(_ query: EventQuery) async throws -> EventList {
        EventList(events: try await context.storage { try await context.store.events(query) }.map(EventResource.init))
    }

    func event(id: Int64) async throws -> EventResource {
        guard let event = try await context.storage({ try await context.store.event(id: id) }) else {
            throw AdminError.notFound("no event with id \(id)")
        }
        return EventResource(event)
    }

    func deliveries(_ query: DeliveryQuery) async throws -> DeliveryList {
        let records = try await context.storage { try await context.store.deliveries(query) }
        return DeliveryList(deliveries: records.map { DeliveryResource($0) })
    }

    func activity() async throws -> DeliveryActivity {
        let (start, minutes) = DeliveryActivity.window(endingAt: context.now())
        let counts = try await context.storage {
            try await context.store.deliveryActivity(start: start, minutes: minutes)
        }
        return DeliveryActivity.assemble(start: start, minutes: minutes, counts: counts)
    }

    func delivery(id: Int64) async throws -> DeliveryResource {
        guard let (delivery, attempts) = try await context.storage({ try await context.store.delivery(id: id) }) else {
            throw AdminError.notFound("no delivery with id \(id)")
        }
        return DeliveryResource(delivery, attempts: attempts)
    }

    func retry(id: Int64) async throws -> QueuedCount {
        switch try await context.storage({ try await context.store.retryDelivery(id: id, now: context.now()) }) {
        case .queued:
            context.wakers.deliveries.signal()
            context.logger.info("delivery queued again", metadata: ["delivery.id": "\(id)"])
            return QueuedCount(queued: 1)
        case .notFound:
            throw AdminError.notFound("no delivery with id \(id)")
        case .alreadyDelivered:
            throw AdminError(.conflict, "already_delivered", "delivery \(id) was delivered; nothing to retry")
        }
    }

    func recover(_ request: RecoveryRequest, relyingParties: RelyingPartyAdmin) async throws -> QueuedCount {
        _ = try await relyingParties.get(clientID: request.clientID)
        let since = request.since ?? .distantPast
        let count = try await context.storage {
            try await context.store.recoverDeliveries(clientID: request.clientID, since: since, now: context.now())
        }
        if count > 0 { context.wakers.deliveries.signal() }
        context.logger.info(
            "failed deliveries queued again",
            metadata: ["client_id": "\(request.clientID)", "count": "\(count)"]
        )
        return QueuedCount(queued: count)
    }

    /// An admin-triggered logout: the same fan-out as an inbound token, recorded with source `admin`.
    func logout(_ command: LogoutCommand) async throws -> LogoutRecorded {
        guard command.sub != nil || command.sid != nil else { throw AdminError.invalid("give sub, sid or both") }
        for (field, value) in [("issuer", command.issuer), ("sub", command.sub), ("sid", command.sid)] {
            if let value { try RegistrationRules.identifier(value, field: field, maximum: 1024) }
        }
        guard let issuer = context.directory.registered(command.issuer) else {
            throw AdminError.invalid("issuer must be the name or the iss of a registered issuer")
        }
        var logout = AcceptedLogout(
            request: LogoutRequest(source: "admin", issuerName: issuer.name, sub: command.sub, sid: command.sid),
            iss: issuer.issuer,
            jti: nil,
            replay: nil,
            tokenHash: nil,
            clientAddress: nil
        )
        let recorded = try await context.tracing.span("admin logout") { span in
            span.set("logoutd.issuer", issuer.name)
            logout.traceContext = context.tracing.current()
            let recorded = try await context.storage {
                try await context.store.recordLogout(logout, now: context.now())
            }
            if case .accepted(let eventID, let deliveries, _, _) = recorded {
                span.set("logoutd.event_id", Int(eventID))
                span.set("logoutd.deliveries", deliveries)
            }
            return recorded
        }
        switch recorded {
        case .accepted(let eventID, let deliveries, _, let revocations):
            context.wakers.queued(deliveries: deliveries, revocations: revocations)
            context.logger.info(
                "admin logout recorded",
                metadata: ["event.id": "\(eventID)", "deliveries": "\(deliveries)"]
            )
            return LogoutRecorded(eventID: eventID)
        case .duplicate, .replayConflict, .nothingToEnd:
            throw AdminError(.conflict, "conflict", "the logout could not be recorded")
        }
    }
}
