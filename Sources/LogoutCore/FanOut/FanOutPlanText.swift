/// A logout's deliveries as text: a JSON array of `[client_id, sub, sid, skip reason]`, nulls
/// where absent. SQLite keeps it as the plan written with the event (its rows are made after the
/// acknowledgement); PostgreSQL sends it as one parameter from which one statement makes the rows.
public enum FanOutPlanText {
    public static func encode(_ deliveries: [PlannedDelivery]) -> String {
        JSONSerializer.string(
            .array(
                deliveries.map { delivery in
                    .array([
                        .string(delivery.clientID), delivery.sub.map(JSONValue.string) ?? .null,
                        delivery.sid.map(JSONValue.string) ?? .null, delivery.skipReason.map(JSONValue.string) ?? .null,
                    ])
                }
            )
        )
    }

    /// Nil for text that is not such an array.
    public static func decode(_ text: String) -> [PlannedDelivery]? {
        guard let entries = try? StrictJSONParser.parse(Array(text.utf8)).arrayValue else { return nil }
        var deliveries: [PlannedDelivery] = []
        deliveries.reserveCapacity(entries.count)
        for entry in entries {
            guard let fields = entry.arrayValue, fields.count == 4, let clientID = fields[0].stringValue else {
                return nil
            }
            func optional(_ value: JSONValue) -> String?? {
                if case .null = value { return .some(nil) }
                return value.stringValue.map { .some($0) }
            }
            guard let sub = optional(fields[1]), let sid = optional(fields[2]), let reason = optional(fields[3]) else {
                return nil
            }
            deliveries.append(PlannedDelivery(clientID: clientID, sub: sub, sid: sid, skipReason: reason))
        }
        return deliveries
    }
}
