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

    public func deleteReceiver(named name: String) async throws {
        _ = try await exchange(.DELETE, "/admin/v1/ssf/receivers/" + Self.segment(name), body: Empty?.none)
    }
}
