import LogoutAdminAPI
import LogoutCore

extension Views {
    /// `ssf receivers list`.
    public static func receivers(_ list: ReceiverList, now: Timestamp) -> Table {
        var table = Table(["NAME", "STREAMS", "CREATED"])
        for receiver in list.receivers {
            table.add([
                .init(receiver.name), .init(String(receiver.streams)),
                .init(RelativeTime.describe(receiver.createdAt, now: now), .dim),
            ])
        }
        return table
    }

    /// `ssf streams list`.
    public static func streams(_ list: StreamList, now: Timestamp) -> Table {
        var table = Table(["STREAM", "RECEIVER", "STATUS", "DELIVERY", "ENDPOINT", "CREATED"])
        for stream in list.streams {
            let method =
                switch stream.deliveryMethod {
                case SSFDeliveryMethod.push.rawValue: "push"
                case SSFDeliveryMethod.poll.rawValue: "poll"
                default: stream.deliveryMethod
                }
            table.add([
                .init(stream.streamID), .init(stream.receiver),
                .init(stream.status, stream.status == "enabled" ? .plain : .dim), .init(method),
                .init(stream.endpointURL), .init(RelativeTime.describe(stream.createdAt, now: now), .dim),
            ])
        }
        return table
    }

    /// `ssf streams sets ID`.
    public static func securityEvents(_ list: SecurityEventList, now: Timestamp) -> Table {
        var table = Table(["SET", "EVENT", "STATUS", "ATTEMPTS", "HTTP", "CREATED", "ERROR"])
        for set in list.sets {
            table.add([
                .init(String(set.jti.prefix(12))), .init(set.eventID.map(String.init) ?? "verify"),
                .init(set.status), .init(String(set.attempts)), .init(set.lastStatusCode.map(String.init) ?? "-"),
                .init(RelativeTime.describe(set.createdAt, now: now), .dim), .init(set.error ?? ""),
            ])
        }
        return table
    }
}
