import Hummingbird
import HummingbirdCore
import LogoutCore
import NIOCore

/// The limits as Hummingbird and NIO enforce them.
extension ListenerLimits {
    var timeouts: RequestDeadlines.Timeouts {
        RequestDeadlines.Timeouts(
            header: Self.timeAmount(headerTimeout),
            body: Self.timeAmount(bodyTimeout),
            idle: Self.timeAmount(idleTimeout)
        )
    }

    /// An HTTP/1.1 server that enforces these limits, for `Application(server:)`.
    public var server: HTTPServerBuilder {
        let timeouts = self.timeouts
        return .http1(
            configuration: HTTP1Channel.Configuration(
                additionalChannelHandlers: [RequestDeadlineHandler(timeouts: timeouts)],
                idleTimeout: nil,
                httpDecoderConfiguration: .init(
                    maxHeaderFieldSize: maxHeaderBytes,
                    maxHeaderListSize: maxHeaderBytes,
                    maxHeaderFieldCount: 100
                )
            )
        )
    }

    /// Refuses to accept more than `maxConnections` at once; the rest wait in the backlog.
    public var connectionCap: any AvailableConnectionsDelegate {
        MaximumAvailableConnections(maxConnections)
    }

    static func timeAmount(_ duration: Duration) -> TimeAmount {
        .milliseconds(duration.wholeMilliseconds)
    }
}
