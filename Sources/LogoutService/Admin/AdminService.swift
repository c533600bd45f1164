import LogoutAdminAPI
import LogoutCore
import LogoutJWT

/// The admin API's use cases (contract C4), split along what admins manage; this type only
/// routes each operation to its part.
struct AdminService: AdminOperations {
    let issuerAdmin: IssuerAdmin
    let relyingPartyAdmin: RelyingPartyAdmin
    let sessionAdmin: SessionAdmin
    let logAdmin: LogAdmin
    let keyAdmin: KeyAdmin
    let revocationAdmin: RevocationAdmin
    let receiverAdmin: ReceiverAdmin

    init(context: AdminContext) {
        issuerAdmin = IssuerAdmin(context: context)
        relyingPartyAdmin = RelyingPartyAdmin(context: context)
        sessionAdmin = SessionAdmin(context: context, relyingParties: relyingPartyAdmin)
        logAdmin = LogAdmin(context: context)
        keyAdmin = KeyAdmin(context: context)
        revocationAdmin = RevocationAdmin(context: context)
        receiverAdmin = ReceiverAdmin(context: context)
    }

    func createIssuer(_ registration: IssuerRegistration) async throws -> IssuerResource {
        try await issuerAdmin.create(registration)
    }
    func issuers() async throws -> IssuerList { try await issuerAdmin.list() }
    func issuer(named name: String) async throws -> IssuerResource { try await issuerAdmin.get(named: name) }
    func deleteIssuer(named name: String) async throws { try await issuerAdmin.delete(named: name) }
    func updateIssuer(named name: String, _ change: IssuerChange) async throws -> IssuerResource {
        try await issuerAdmin.update(named: name, change)
    }

    func createRelyingParty(_ registration: RelyingPartyRegistration) async throws -> RelyingPartyResource {
        try await relyingPartyAdmin.create(registration)
    }
    func relyingParties() async throws -> RelyingPartyList { try await relyingPartyAdmin.list() }
    func relyingParty(clientID: String) async throws -> RelyingPartyResource {
        let stored = try await relyingPartyAdmin.stored(clientID: clientID)
        return RelyingPartyResource(stored.relyingParty, breaker: stored.breaker)
    }
    func updateRelyingParty(clientID: String, _ change: RelyingPartyRegistration) async throws -> RelyingPartyResource {
        try await relyingPartyAdmin.update(clientID: clientID, change)
    }
    func deleteRelyingParty(clientID: String) async throws { try await relyingPartyAdmin.delete(clientID: clientID) }

    func createSession(_ registration: SessionRegistration) async throws -> SessionResource {
        try await sessionAdmin.create(registration)
    }
    func sessions(_ query: SessionQuery) async throws -> SessionList { try await sessionAdmin.list(query) }
    func deleteSession(id: Int64) async throws { try await sessionAdmin.delete(id: id) }

    func events(_ query: EventQuery) async throws -> EventList { try await logAdmin.events(query) }
    func event(id: Int64) async throws -> EventResource { try await logAdmin.event(id: id) }
    func deliveries(_ query: DeliveryQuery) async throws -> DeliveryList { try await logAdmin.deliveries(query) }
    func delivery(id: Int64) async throws -> DeliveryResource { try await logAdmin.delivery(id: id) }
    func retryDelivery(id: Int64) async throws -> QueuedCount { try await logAdmin.retry(id: id) }
    func deliveryActivity() async throws -> DeliveryActivity { try await logAdmin.activity() }
    func recoverDeliveries(_ request: RecoveryRequest) async throws -> QueuedCount {
        try await logAdmin.recover(request, relyingParties: relyingPartyAdmin)
    }

    func logout(_ command: LogoutCommand) async throws -> LogoutRecorded { try await logAdmin.logout(command) }

    func revocations(_ query: RevocationQuery) async throws -> RevocationList {
        try await revocationAdmin.list(query)
    }
    func retryRevocation(id: Int64) async throws -> QueuedCount { try await revocationAdmin.retry(id: id) }

    func createReceiver(_ registration: ReceiverRegistration) async throws -> ReceiverCreated {
        try await receiverAdmin.create(registration)
    }
    func receivers() async throws -> ReceiverList { try await receiverAdmin.list() }
    func receiver(named name: String) async throws -> ReceiverResource { try await receiverAdmin.get(named: name) }
    func streams(receiver: String?) async throws -> StreamList { try await receiverAdmin.streams(receiver: receiver) }
    func securityEvents(streamID: String, limit: Int) async throws -> SecurityEventList {
        try await receiverAdmin.securityEvents(streamID: streamID, limit: limit)
    }
    func deleteReceiver(named name: String) async throws { try await receiverAdmin.delete(named: name) }

    func signingKeys() async throws -> SigningKeyList { keyAdmin.list() }
    func rotateSigningKeys(_ request: KeyRotationRequest) async throws -> KeyRotation {
        try await keyAdmin.rotate(request)
    }
}
