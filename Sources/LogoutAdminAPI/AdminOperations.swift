import LogoutCore

/// Everything the admin API can do, in its own terms (contract C4). The daemon implements it;
/// the admin listener serves it; the CLI's client calls it over HTTP. Methods throw `AdminError`
/// for what the caller can fix.
public protocol AdminOperations: Sendable {
    func createIssuer(_ registration: IssuerRegistration) async throws -> IssuerResource
    func issuers() async throws -> IssuerList
    func issuer(named name: String) async throws -> IssuerResource
    func deleteIssuer(named name: String) async throws
    /// Changes the browser-logout members of an issuer in place.
    func updateIssuer(named name: String, _ change: IssuerChange) async throws -> IssuerResource

    func createRelyingParty(_ registration: RelyingPartyRegistration) async throws -> RelyingPartyResource
    func relyingParties() async throws -> RelyingPartyList
    func relyingParty(clientID: String) async throws -> RelyingPartyResource
    func updateRelyingParty(clientID: String, _ change: RelyingPartyRegistration) async throws -> RelyingPartyResource
    func deleteRelyingParty(clientID: String) async throws

    func createSession(_ registration: SessionRegistration) async throws -> SessionResource
    func sessions(_ query: SessionQuery) async throws -> SessionList
    func deleteSession(id: Int64) async throws

    func events(_ query: EventQuery) async throws -> EventList
    func event(id: Int64) async throws -> EventResource
    func deliveries(_ query: DeliveryQuery) async throws -> DeliveryList
    /// With its `attempt_log`.
    func delivery(id: Int64) async throws -> DeliveryResource
    func retryDelivery(id: Int64) async throws -> QueuedCount
    func recoverDeliveries(_ request: RecoveryRequest) async throws -> QueuedCount
    /// The last hour, minute by minute: how deliveries ended, and retries scheduled.
    func deliveryActivity() async throws -> DeliveryActivity

    func logout(_ command: LogoutCommand) async throws -> LogoutRecorded

    /// Upstream token revocations (BR-8), newest first.
    func revocations(_ query: RevocationQuery) async throws -> RevocationList
    /// Queues a failed revocation again.
    func retryRevocation(id: Int64) async throws -> QueuedCount

    /// Shared Signals receivers (contract C7): the token is in the answer of `create` only.
    func createReceiver(_ registration: ReceiverRegistration) async throws -> ReceiverCreated
    func receivers() async throws -> ReceiverList
    func receiver(named name: String) async throws -> ReceiverResource
    /// Removes the receiver and its streams.
    func deleteReceiver(named name: String) async throws
    /// Every receiver's streams, or one receiver's.
    func streams(receiver: String?) async throws -> StreamList
    /// A stream's SETs, newest first.
    func securityEvents(streamID: String, limit: Int) async throws -> SecurityEventList

    func signingKeys() async throws -> SigningKeyList
    func rotateSigningKeys(_ request: KeyRotationRequest) async throws -> KeyRotation
}
