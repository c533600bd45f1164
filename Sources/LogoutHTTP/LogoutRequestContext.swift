import Hummingbird
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

    var clientAddress: String? {
        guard let remoteAddress else { return nil }
        if let ip = remoteAddress.ipAddress { return ip }
        return remoteAddress.pathname.map { "unix:" + $0 } ?? "unix"
    }
}
