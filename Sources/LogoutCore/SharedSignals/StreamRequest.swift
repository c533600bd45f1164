/// A receiver's create (`POST`), update (`PATCH`) or replace (`PUT`) of a stream (SSF §8.1.1),
/// parsed; `StreamRequest+Apply` turns it into the stream's new configuration.
///
/// The receiver supplies `events_requested`, `delivery` and `description`. Transmitter-supplied
/// members may be sent back (a receiver that reads, edits and replaces does), but must then hold
/// the values we would give them (SSF §8.1.1.3, §8.1.1.4: "MUST match the expected value"),
/// else 400. A `stream_id` in a create is refused: we choose the id.
public struct StreamRequest: Sendable, Equatable {
    public enum Kind: String, Sendable {
        /// `POST`: absent members take their defaults; no `delivery` means poll (SSF §8.1.1.1).
        case create
        /// `PATCH`: absent members keep their values (SSF §8.1.1.3).
        case update
        /// `PUT`: absent receiver-supplied members are deleted; `delivery` is required (SSF §8.1.1.4).
        case replace
    }

    /// The receiver's `delivery`, before the poll URL is known.
    public struct RequestedDelivery: Sendable, Equatable {
        public var method: SSFDeliveryMethod
        public var endpointURL: String?
        public var authorizationHeader: Field<String>

        public init(method: SSFDeliveryMethod, endpointURL: String?, authorizationHeader: Field<String> = .absent) {
            self.method = method
            self.endpointURL = endpointURL
            self.authorizationHeader = authorizationHeader
        }
    }

    /// A member that may be absent, `null`, or a value: a `PATCH` that leaves out
    /// `authorization_header` keeps it, one that sends `null` removes it.
    public enum Field<Value: Sendable & Equatable>: Sendable, Equatable {
        case absent
        case null
        case value(Value)
    }

    /// Transmitter-supplied members the receiver sent back, to compare with ours.
    public struct Echoes: Sendable, Equatable {
        public var issuer: String?
        public var audience: [String]?
        public var eventsSupported: [SSFEventType]?
        public var eventsDelivered: [SSFEventType]?
        public var minVerificationInterval: Int?
    }

    public var kind: Kind
    /// Required for update and replace (the stream to change); absent in a create.
    public var streamID: String?
    public var eventsRequested: [SSFEventType]?
    public var delivery: RequestedDelivery?
    public var description: String?
    public var echoes: Echoes

    public static func parse(_ body: JSONValue, kind: Kind) throws(SSFRequestError) -> StreamRequest {
        let object = try SSFObject(body, what: "the stream configuration")
        var streamID: String?
        switch kind {
        case .create:
            if object["stream_id"] != nil {
                throw SSFRequestError.badRequest("stream_id is chosen by the transmitter: leave it out of a create")
            }
        case .update, .replace:
            streamID = try object.streamID()
        }
        let requested = try object.strings(
            "events_requested",
            maximumCount: SSFLimits.maximumRequestedEvents,
            maximumLength: SSFLimits.maximumURILength
        )
        var seen = Set<String>()
        let eventsRequested = requested.map { $0.filter { seen.insert($0).inserted }.map(SSFEventType.init) }
        let description = try object.string("description", maximum: SSFLimits.maximumTextLength)
            .map { SafeText.printable($0, limit: SSFLimits.maximumDescriptionLength) }
        return StreamRequest(
            kind: kind,
            streamID: streamID,
            eventsRequested: eventsRequested,
            delivery: try object["delivery"].map(parseDelivery),
            description: description,
            echoes: try parseEchoes(object)
        )
    }

    private static func parseDelivery(_ value: JSONValue) throws(SSFRequestError) -> RequestedDelivery {
        let object = try SSFObject(value, what: "delivery")
        let name = try object.requiredString("method", maximum: SSFLimits.maximumURILength)
        guard let method = SSFDeliveryMethod(rawValue: name) else {
            throw SSFRequestError.badRequest(
                "delivery method \(quoted(name)) is not supported: "
                    + "use urn:ietf:rfc:8935 (push) or urn:ietf:rfc:8936 (poll)"
            )
        }
        let endpointURL = try object.identifier("endpoint_url", maximum: SSFLimits.maximumURILength)
        var header = Field<String>.absent
        switch object["authorization_header"] {
        case nil: break
        case .null?: header = .null
        case let value?:
            // Never quoted back: it is the receiver's secret.
            guard let text = value.stringValue, !text.isEmpty,
                text.count <= SSFLimits.maximumAuthorizationHeaderLength, !SafeText.hasControlCharacters(text)
            else {
                throw SSFRequestError.badRequest(
                    "authorization_header must be a string of 1 to \(SSFLimits.maximumAuthorizationHeaderLength) "
                        + "characters without control characters"
                )
            }
            header = .value(text)
        }
        return RequestedDelivery(method: method, endpointURL: endpointURL, authorizationHeader: header)
    }

    private static func parseEchoes(_ object: SSFObject) throws(SSFRequestError) -> Echoes {
        var echoes = Echoes()
        echoes.issuer = try object.string("iss", maximum: SSFLimits.maximumURILength)
        switch object["aud"] {
        case nil: break
        case .string(let one)?: echoes.audience = [one]
        default:
            echoes.audience = try object.strings(
                "aud",
                maximumCount: SSFLimits.maximumRequestedEvents,
                maximumLength: SSFLimits.maximumURILength
            )
        }
        echoes.eventsSupported = try eventTypes(object, "events_supported")
        echoes.eventsDelivered = try eventTypes(object, "events_delivered")
        echoes.minVerificationInterval = try object.count("min_verification_interval")
        return echoes
    }

    private static func eventTypes(_ object: SSFObject, _ name: String) throws(SSFRequestError) -> [SSFEventType]? {
        try object.strings(
            name,
            maximumCount: SSFLimits.maximumRequestedEvents,
            maximumLength: SSFLimits.maximumURILength
        )?
        .map(SSFEventType.init)
    }
}
