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
}
