import Foundation

/// What we send an upstream transmitter and what we read from its answers (SSF §7, §8.1.1,
/// §8.1.4.2; RFC 8936 §2.2–2.3), as values: the upstream service only moves the bytes.
///
/// Everything read is checked before it is used: a transmitter is a peer on the network, and
/// the URLs it names are where our credential goes next — so they must be on the origin the
/// admin gave (`ssf_configuration_url`).
public enum TransmitterExchange {
    public struct Failure: Error, Equatable, CustomStringConvertible {
        public let description: String
        public init(_ description: String) { self.description = description }
    }

    /// The endpoints of the transmitter's metadata that we use.
    public struct Endpoints: Sendable, Equatable {
        public var configurationEndpoint: String
        public var verificationEndpoint: String?
    }

    /// A stream the transmitter created for us, or one it already had.
    public struct CreatedStream: Sendable, Equatable {
        public var streamID: String
        /// Its `delivery.endpoint_url`, for a poll stream.
        public var pollURL: String?
        /// Its `aud`, which the transmitter chooses (SSF §8.1.1): its SETs carry it.
        public var audience: [String]
        /// Its `delivery.endpoint_url`, for a push stream: where it pushes.
        public var pushURL: String? = nil
    }

    /// One poll's SETs, by `jti` as the transmitter keyed them, and the keys whose value is no
    /// SET: reported in `setErrs`, they do not hold back the rest.
    public struct PollAnswer: Sendable, Equatable {
        public var sets: [(jti: String, token: String)]
        public var malformed: [String]
        public var moreAvailable: Bool

        public static func == (a: PollAnswer, b: PollAnswer) -> Bool {
            a.moreAvailable == b.moreAvailable && a.sets.map(\.jti) == b.sets.map(\.jti)
                && a.sets.map(\.token) == b.sets.map(\.token) && a.malformed == b.malformed
        }
    }

    /// The metadata (SSF §7.1): its `issuer` must be the issuer whose keys verify the SETs
    /// (§7.2: the one the document was asked of), it must offer `delivery`, and its endpoints
    /// must be http(s) URLs (https unless `allowHTTP`) on the configuration URL's origin.
    public static func endpoints(
        metadata bytes: [UInt8],
        configurationURL: String,
        issuer: String,
        delivery: SSFDeliveryMethod,
        allowHTTP: Bool
    ) throws(Failure) -> Endpoints {
        let object = try object(bytes, what: "the transmitter metadata")
        guard let named = object["issuer"]?.stringValue else { throw Failure("the transmitter metadata has no issuer") }
        guard named == issuer else {
            throw Failure(
                "the transmitter metadata names issuer \(quoted(named)), but the issuer is registered as \(quoted(issuer))"
            )
        }
        if let methods = object["delivery_methods_supported"]?.arrayValue?.compactMap(\.stringValue),
            !methods.contains(delivery.rawValue)
        {
            throw Failure("the transmitter does not offer \(delivery.rawValue) delivery")
        }
        guard let configuration = object["configuration_endpoint"]?.stringValue else {
            throw Failure(
                "the transmitter metadata has no configuration_endpoint: it does not let receivers create streams"
            )
        }
        let verification = object["verification_endpoint"]?.stringValue
        try url(configuration, "configuration_endpoint", allowHTTP: allowHTTP, origin: configurationURL)
        if let verification {
            try url(verification, "verification_endpoint", allowHTTP: allowHTTP, origin: configurationURL)
        }
        return Endpoints(configurationEndpoint: configuration, verificationEndpoint: verification)
    }

    /// The creation request (SSF §8.1.1.1): session-revoked events, pushed to `pushURL` or held
    /// for us to poll. Verification and stream-updated SETs need not be requested.
    public static func creationRequest(delivery: SSFDeliveryMethod, pushURL: String, description: String) -> JSONValue {
        var method: [String: JSONValue] = ["method": .string(delivery.rawValue)]
        if delivery == .push { method["endpoint_url"] = .string(pushURL) }
        return [
            "delivery": .object(method),
            "events_requested": [.string(SSFEventType.sessionRevoked.rawValue)],
            "description": .string(description),
        ]
    }

    /// The created stream (SSF §8.1.1.1): its id, that it will deliver session-revoked (else it
    /// is of no use to us), its audience, and the poll URL the transmitter assigned.
    public static func createdStream(
        _ bytes: [UInt8],
        delivery: SSFDeliveryMethod,
        allowHTTP: Bool,
        origin: String
    ) throws(Failure) -> CreatedStream {
        try stream(
            try object(bytes, what: "the created stream"),
            delivery: delivery,
            allowHTTP: allowHTTP,
            origin: origin
        )
    }

    /// The streams a transmitter lists for us (SSF §8.1.1.2: an array, or one object) that we
    /// could use with `delivery`: the one to adopt when it will not create another (`409`).
    public static func existingStreams(
        _ bytes: [UInt8],
        delivery: SSFDeliveryMethod,
        allowHTTP: Bool,
        origin: String
    ) -> [CreatedStream] {
        guard let value = try? StrictJSONParser.parse(bytes) else { return [] }
        let objects = value.arrayValue?.compactMap(\.objectValue) ?? value.objectValue.map { [$0] } ?? []
        return objects.compactMap { object in
            guard object["delivery"]?["method"]?.stringValue == delivery.rawValue else { return nil }
            return try? stream(object, delivery: delivery, allowHTTP: allowHTTP, origin: origin)
        }
    }

    private static func stream(
        _ object: [String: JSONValue],
        delivery: SSFDeliveryMethod,
        allowHTTP: Bool,
        origin: String
    ) throws(Failure) -> CreatedStream {
        guard let id = object["stream_id"]?.stringValue, !id.isEmpty, id.count <= SSFLimits.maximumJTILength,
            !SafeText.hasControlCharacters(id)
        else { throw Failure("the created stream has no usable stream_id") }
        if let delivered = object["events_delivered"]?.arrayValue?.compactMap(\.stringValue),
            !delivered.contains(SSFEventType.sessionRevoked.rawValue)
        {
            throw Failure("the transmitter will not deliver session-revoked events on the stream")
        }
        let audience: [String]
        switch object["aud"] {
        case .string(let one)?: audience = [one]
        case .array(let many)?: audience = many.compactMap(\.stringValue)
        default: audience = []
        }
        guard delivery == .poll else {
            let push = object["delivery"]?["endpoint_url"]?.stringValue
            return CreatedStream(streamID: id, pollURL: nil, audience: audience, pushURL: push)
        }
        guard let poll = object["delivery"]?["endpoint_url"]?.stringValue else {
            throw Failure("the created poll stream has no delivery endpoint_url to poll")
        }
        try url(poll, "the poll endpoint_url", allowHTTP: allowHTTP, origin: origin)
        return CreatedStream(streamID: id, pollURL: poll, audience: audience)
    }

    /// SSF §8.1.4.2: the transmitter answers with a verification SET echoing `state`.
    public static func verificationRequest(streamID: String, state: String) -> JSONValue {
        ["stream_id": .string(streamID), "state": .string(state)]
    }

    /// RFC 8936 §2.2: acknowledges what we processed, reports what we refused, asks for more.
    public static func pollRequest(
        acknowledged: [String],
        errors: [String: SETErrorBody],
        maxEvents: Int,
        returnImmediately: Bool
    ) -> JSONValue {
        var object: [String: JSONValue] = [
            "maxEvents": .number(Double(maxEvents)), "returnImmediately": .bool(returnImmediately),
        ]
        if !acknowledged.isEmpty { object["ack"] = .array(acknowledged.map(JSONValue.string)) }
        if !errors.isEmpty { object["setErrs"] = .object(errors.mapValues(\.json)) }
        return .object(object)
    }

    /// RFC 8936 §2.3: `{"sets": {jti: SET}, "moreAvailable"}`, sorted by `jti` for a stable order.
    public static func pollAnswer(_ bytes: [UInt8]) throws(Failure) -> PollAnswer {
        let object = try object(bytes, what: "the poll answer")
        guard let sets = object["sets"]?.objectValue else { throw Failure("the poll answer has no sets object") }
        var found: [(jti: String, token: String)] = []
        var malformed: [String] = []
        for (jti, value) in sets.sorted(by: { $0.key < $1.key }) {
            if let token = value.stringValue { found.append((jti, token)) } else { malformed.append(jti) }
        }
        return PollAnswer(sets: found, malformed: malformed, moreAvailable: object["moreAvailable"]?.boolValue ?? false)
    }

    /// Scheme, host and port (the scheme's default filled in), lowercased: where a URL's
    /// requests go.
    public static func origin(of text: String) -> String? {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host?.lowercased()
        else { return nil }
        return scheme + "://" + host + ":" + String(url.port ?? (scheme == "https" ? 443 : 80))
    }

    private static func object(_ bytes: [UInt8], what: String) throws(Failure) -> [String: JSONValue] {
        guard let value = try? StrictJSONParser.parse(bytes), let object = value.objectValue else {
            throw Failure("\(what) is not a JSON object")
        }
        return object
    }

    private static func url(_ text: String, _ field: String, allowHTTP: Bool, origin expected: String) throws(Failure) {
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), url.host?.isEmpty == false,
            scheme == "https" || (allowHTTP && scheme == "http")
        else {
            throw Failure(
                "\(field) \(quoted(String(text.prefix(200)))) is not an \(allowHTTP ? "http(s)" : "https") URL"
            )
        }
        guard let origin = origin(of: text), origin == Self.origin(of: expected) else {
            throw Failure(
                "\(field) \(quoted(String(text.prefix(200)))) is not on the origin of ssf_configuration_url, "
                    + "where alone our token goes"
            )
        }
    }

    private static func quoted(_ text: String) -> String { "\"" + SafeText.printable(text, limit: 200) + "\"" }
}
