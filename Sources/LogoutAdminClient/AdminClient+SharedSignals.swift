import LogoutAdminAPI
import LogoutCore
import NIOHTTP1

/// Contract C7's admin routes: Shared Signals receivers.
extension AdminClient {
    public func createReceiver(_ registration: ReceiverRegistration) async throws -> ReceiverCreated {
        try await send(.POST, "/admin/v1/ssf/receivers", body: registration, as: ReceiverCreated.self)
    }

    public func receivers() async throws -> ReceiverList {
        try await get("/admin/v1/ssf/receivers", as: ReceiverList.self)
    }

    public func receiver(named name: String) async throws -> ReceiverResource {
        try await get("/admin/v1/ssf/receivers/" + Self.segment(name), as: ReceiverResource.self)
    }

    public func streams(receiver: String?) async throws -> StreamList {
        try await get(
            "/admin/v1/ssf/streams" + (receiver.map { "?receiver=" + Self.segment($0) } ?? ""),
            as: StreamList.self
        )
    }

    public func securityEvents(streamID: String, limit: Int) async throws -> SecurityEventList {
        try await get(
            "/admin/v1/ssf/streams/\(Self.segment(streamID))/sets?limit=\(limit)",
            as: SecurityEventList.self
        )
    }

    public func deleteReceiver(named name: String) async throws {
        _ = try await exchange(.DELETE, "/admin/v1/ssf/receivers/" + Self.segment(name), body: Empty?.none)
    }
}
