import Hummingbird
import LogoutCore
import NIOCore

/// Our request context: Hummingbird's, plus the peer address for the event log (ADM-1).
public struct LogoutRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }

    /// Bodies larger than any admin request we accept are refused before they are decoded.
    public var maxUploadSize: Int { 256 * 1024 }

    public var clientAddress: String? {
        guard let remoteAddress else { return nil }
        if let ip = remoteAddress.ipAddress { return ip }
        return remoteAddress.pathname.map { "unix:" + $0 } ?? "unix"
    }

    /// Who pays for a rejection (SEC-4): an IPv4 address, or an IPv6 client's /64, since one
    /// host commonly holds a whole /64.
    public var budgetKey: String? {
        guard case .v6 = remoteAddress, let text = remoteAddress?.ipAddress else { return clientAddress }
        return ClientAddress.budgetKey(text)
    }
}
