import LogoutAdminAPI
import LogoutCore
import NIOCore
import NIOHTTP1

/// Contract C4's routes, one per operation.
extension AdminClient {
    public func createIssuer(_ registration: IssuerRegistration) async throws -> IssuerResource {
        try await send(.POST, "/admin/v1/issuers", body: registration, as: IssuerResource.self)
    }

    public func issuers() async throws -> IssuerList { try await get("/admin/v1/issuers", as: IssuerList.self) }

    public func issuer(named name: String) async throws -> IssuerResource {
        try await get("/admin/v1/issuers/" + Self.segment(name), as: IssuerResource.self)
    }

    /// Waits as long as the removal takes: its sessions go in turns first (about 30,000 a second).
    public func deleteIssuer(named name: String) async throws {
        _ = try await exchange(
            .DELETE,
            "/admin/v1/issuers/" + Self.segment(name),
            body: Empty?.none,
            timeout: .hours(1)
        )
    }

    public func createRelyingParty(_ registration: RelyingPartyRegistration) async throws -> RelyingPartyResource {
        try await send(.POST, "/admin/v1/rps", body: registration, as: RelyingPartyResource.self)
    }

    public func relyingParties() async throws -> RelyingPartyList {
        try await get("/admin/v1/rps", as: RelyingPartyList.self)
    }

    public func relyingParty(clientID: String) async throws -> RelyingPartyResource {
        try await get("/admin/v1/rps/" + Self.segment(clientID), as: RelyingPartyResource.self)
    }

    public func updateRelyingParty(
        clientID: String,
        _ change: RelyingPartyRegistration
    ) async throws
        -> RelyingPartyResource
    {
        try await send(.PATCH, "/admin/v1/rps/" + Self.segment(clientID), body: change, as: RelyingPartyResource.self)
    }

    /// Waits as long as the removal takes: its sessions and waiting deliveries go in turns first.
    public func deleteRelyingParty(clientID: String) async throws {
        _ = try await exchange(
            .DELETE,
            "/admin/v1/rps/" + Self.segment(clientID),
            body: Empty?.none,
            timeout: .hours(1)
        )
    }

    public func createSession(_ registration: SessionRegistration) async throws -> SessionResource {
        try await send(.POST, "/admin/v1/sessions", body: registration, as: SessionResource.self)
    }

    public func sessions(_ query: SessionQuery) async throws -> SessionList {
        let items: [(String, String?)] = [
            ("issuer", query.issuer), ("sub", query.sub), ("client_id", query.clientID), ("limit", String(query.limit)),
        ]
        return try await get("/admin/v1/sessions" + Self.query(items), as: SessionList.self)
    }

    public func deleteSession(id: Int64) async throws {
        _ = try await exchange(.DELETE, "/admin/v1/sessions/\(id)", body: Empty?.none)
    }

    public func events(_ query: EventQuery) async throws -> EventList {
        let items: [(String, String?)] = [
            ("outcome", query.outcome?.rawValue), ("issuer", query.issuer), ("sub", query.sub),
            ("limit", String(query.limit)),
            ("before", query.beforeID.map(String.init)),
        ]
        return try await get("/admin/v1/events" + Self.query(items), as: EventList.self)
    }

    public func event(id: Int64) async throws -> EventResource {
        try await get("/admin/v1/events/\(id)", as: EventResource.self)
    }

    public func deliveries(_ query: DeliveryQuery) async throws -> DeliveryList {
        let items: [(String, String?)] = [
            ("status", query.status?.rawValue), ("client_id", query.clientID),
            ("event_id", query.eventID.map(String.init)),
            ("limit", String(query.limit)), ("before", query.beforeID.map(String.init)),
            ("after", query.afterID.map(String.init)),
        ]
        return try await get("/admin/v1/deliveries" + Self.query(items), as: DeliveryList.self)
    }

    public func delivery(id: Int64) async throws -> DeliveryResource {
        try await get("/admin/v1/deliveries/\(id)", as: DeliveryResource.self)
    }

    public func retryDelivery(id: Int64) async throws -> QueuedCount {
        try await send(.POST, "/admin/v1/deliveries/\(id)/retry", body: Empty?.none, as: QueuedCount.self)
    }

    public func deliveryActivity() async throws -> DeliveryActivity {
        try await get("/admin/v1/deliveries/activity", as: DeliveryActivity.self)
    }

    /// Waits as long as the recovery takes: the daemon queues the deliveries in turns that let
    /// acknowledgements through, about 25,000 a second, and millions may wait after an RP was
    /// disabled for days.
    public func recoverDeliveries(_ request: RecoveryRequest) async throws -> QueuedCount {
        try await send(
            .POST,
            "/admin/v1/deliveries/recover",
            body: request,
            as: QueuedCount.self,
            timeout: .hours(1)
        )
    }

    public func updateIssuer(named name: String, _ change: IssuerChange) async throws -> IssuerResource {
        try await send(.PATCH, "/admin/v1/issuers/" + Self.segment(name), body: change, as: IssuerResource.self)
    }

    public func revocations(_ query: RevocationQuery) async throws -> RevocationList {
        let items: [(String, String?)] = [
            ("status", query.status?.rawValue), ("event_id", query.eventID.map(String.init)),
            ("limit", String(query.limit)),
        ]
        return try await get("/admin/v1/revocations" + Self.query(items), as: RevocationList.self)
    }

    public func retryRevocation(id: Int64) async throws -> QueuedCount {
        try await send(.POST, "/admin/v1/revocations/\(id)/retry", body: Empty?.none, as: QueuedCount.self)
    }

    public func logout(_ command: LogoutCommand) async throws -> LogoutRecorded {
        try await send(.POST, "/admin/v1/logout", body: command, as: LogoutRecorded.self)
    }

    public func signingKeys() async throws -> SigningKeyList {
        try await get("/admin/v1/keys", as: SigningKeyList.self)
    }

    public func rotateSigningKeys(_ request: KeyRotationRequest) async throws -> KeyRotation {
        try await send(.POST, "/admin/v1/keys/rotate", body: request, as: KeyRotation.self)
    }
}
