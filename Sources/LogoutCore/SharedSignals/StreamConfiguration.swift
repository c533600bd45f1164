/// One event stream as SSF §8.1.1 shows it to its receiver.
///
/// Transmitter-supplied members (`stream_id`, `iss`, `aud`, `events_supported`,
/// `events_delivered`, `min_verification_interval`) are ours; receiver-supplied ones
/// (`events_requested`, `delivery`, `description`) change only through `StreamRequest`.
/// `inactivity_timeout` is not implemented: streams live until deleted.
public struct StreamConfiguration: Sendable, Equatable {
    public var streamID: String
    public var issuer: String
    /// One entry is written as a string, several as an array (SSF §8.1.1 allows both).
    public var audience: [String]
    public var eventsSupported: [SSFEventType]
    /// As the receiver sent them, unknown types included: they are echoed, never delivered.
    public var eventsRequested: [SSFEventType]?
    /// `events_requested ∩ events_supported`, in our order.
    public var eventsDelivered: [SSFEventType]
    public var delivery: StreamDelivery
    public var description: String?
    /// Seconds between verification requests we answer without a 429 (SSF §8.1.4.2).
    public var minVerificationInterval: Int?

    public init(
        streamID: String,
        issuer: String,
        audience: [String],
        eventsSupported: [SSFEventType] = SSFEventType.supported,
        eventsRequested: [SSFEventType]?,
        eventsDelivered: [SSFEventType],
        delivery: StreamDelivery,
        description: String? = nil,
        minVerificationInterval: Int? = nil
    ) {
        self.streamID = streamID
        self.issuer = issuer
        self.audience = audience
        self.eventsSupported = eventsSupported
        self.eventsRequested = eventsRequested
        self.eventsDelivered = eventsDelivered
        self.delivery = delivery
        self.description = description
        self.minVerificationInterval = minVerificationInterval
    }

    /// `events_delivered` (SSF §8.1.1): what was requested and we support, in our order.
    public static func delivered(requested: [SSFEventType]?, supported: [SSFEventType]) -> [SSFEventType] {
        let wanted = Set(requested ?? [])
        return supported.filter { wanted.contains($0) }
    }

    /// Whether an event of this type goes out on the stream: a delivered type, or verification
    /// and stream-updated, which every stream gets (SSF §8.1.4, §8.1.5).
    public func delivers(_ type: SSFEventType) -> Bool {
        SSFEventType.alwaysDelivered.contains(type) || eventsDelivered.contains(type)
    }

    /// `aud` as JSON: a string for one audience, an array for several.
    public static func audienceJSON(_ audience: [String]) -> JSONValue {
        audience.count == 1 ? .string(audience[0]) : .array(audience.map(JSONValue.string))
    }

    /// The configuration as the stream endpoints answer it. `authorization_header` is never in
    /// it: it is the receiver's secret, and an answer is read by more eyes than the request.
    public var json: JSONValue {
        var object: [String: JSONValue] = [
            "stream_id": .string(streamID),
            "iss": .string(issuer),
            "aud": Self.audienceJSON(audience),
            "events_supported": .array(eventsSupported.map { .string($0.rawValue) }),
            "events_delivered": .array(eventsDelivered.map { .string($0.rawValue) }),
            "delivery": delivery.json,
        ]
        if let eventsRequested { object["events_requested"] = .array(eventsRequested.map { .string($0.rawValue) }) }
        if let description { object["description"] = .string(description) }
        if let minVerificationInterval {
            object["min_verification_interval"] = .number(Double(minVerificationInterval))
        }
        return .object(object)
    }
}

/// A stream's `delivery` member (SSF §6.1).
public struct StreamDelivery: Sendable, Equatable {
    public var method: SSFDeliveryMethod
    /// Push: the receiver's URL. Poll: ours, `/ssf/poll/{stream_id}`.
    public var endpointURL: String
    /// Push only: sent as the `Authorization` header with every SET (SSF §6.1.1). A secret.
    public var authorizationHeader: String?

    public init(method: SSFDeliveryMethod, endpointURL: String, authorizationHeader: String? = nil) {
        self.method = method
        self.endpointURL = endpointURL
        self.authorizationHeader = authorizationHeader
    }

    /// Without `authorization_header`, for the reason `StreamConfiguration.json` gives.
    public var json: JSONValue {
        ["method": .string(method.rawValue), "endpoint_url": .string(endpointURL)]
    }
}
