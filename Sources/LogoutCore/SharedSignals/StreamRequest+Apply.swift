import Foundation

extension StreamRequest {
    /// What the transmitter supplies to every stream: passed in, so the rules stay pure.
    public struct Context: Sendable, Equatable {
        public var issuer: String
        /// The receiver's audience, as we put it in `aud`.
        public var audience: [String]
        public var eventsSupported: [SSFEventType]
        /// Where poll URLs are made: `{base}/ssf/poll/{stream_id}`.
        public var publicBaseURL: String
        /// Plain `http` push endpoints, for development (`delivery.allow_private_networks`).
        public var allowInsecureEndpoints: Bool
        public var minVerificationInterval: Int?

        public init(
            issuer: String,
            audience: [String],
            eventsSupported: [SSFEventType] = SSFEventType.supported,
            publicBaseURL: String,
            allowInsecureEndpoints: Bool = false,
            minVerificationInterval: Int? = nil
        ) {
            self.issuer = issuer
            self.audience = audience
            self.eventsSupported = eventsSupported
            self.publicBaseURL = publicBaseURL
            self.allowInsecureEndpoints = allowInsecureEndpoints
            self.minVerificationInterval = minVerificationInterval
        }
    }

    /// The configuration of a new stream (SSF §8.1.1.1), whose id the caller generated.
    public func created(streamID: String, context: Context) throws(SSFRequestError) -> StreamConfiguration {
        precondition(kind == .create, "created(streamID:context:) applies a create")
        let delivered = StreamConfiguration.delivered(requested: eventsRequested, supported: context.eventsSupported)
        try checkEchoes(
            issuer: context.issuer,
            audience: context.audience,
            supported: context.eventsSupported,
            delivered: delivered,
            minVerificationInterval: context.minVerificationInterval
        )
        return StreamConfiguration(
            streamID: streamID,
            issuer: context.issuer,
            audience: context.audience,
            eventsSupported: context.eventsSupported,
            eventsRequested: eventsRequested,
            eventsDelivered: delivered,
            delivery: try resolvedDelivery(streamID: streamID, current: nil, context: context),
            description: description,
            minVerificationInterval: context.minVerificationInterval
        )
    }

    /// The stream after an update or replace (SSF §8.1.1.3, §8.1.1.4). `current` is the stream
    /// the caller found under `streamID` for this receiver (else it answers 404 itself).
    public func applied(
        to current: StreamConfiguration,
        context: Context
    ) throws(SSFRequestError)
        -> StreamConfiguration
    {
        precondition(kind != .create, "applied(to:context:) applies an update or a replace")
        guard streamID == current.streamID else { throw SSFRequestError.streamNotFound() }
        // Echoes are compared with what the receiver could have read: the values before the change.
        try checkEchoes(
            issuer: current.issuer,
            audience: current.audience,
            supported: current.eventsSupported,
            delivered: current.eventsDelivered,
            minVerificationInterval: current.minVerificationInterval
        )
        var next = current
        let keep = kind == .update
        next.eventsRequested = eventsRequested ?? (keep ? current.eventsRequested : nil)
        next.description = description ?? (keep ? current.description : nil)
        next.eventsSupported = context.eventsSupported
        next.eventsDelivered = StreamConfiguration.delivered(
            requested: next.eventsRequested,
            supported: context.eventsSupported
        )
        next.delivery = try resolvedDelivery(streamID: current.streamID, current: current.delivery, context: context)
        return next
    }

    private func checkEchoes(
        issuer: String,
        audience: [String],
        supported: [SSFEventType],
        delivered: [SSFEventType],
        minVerificationInterval: Int?
    ) throws(SSFRequestError) {
        func mismatch(_ name: String) -> SSFRequestError {
            .badRequest("\(name) is supplied by the transmitter: leave it out or send the stream's value")
        }
        if let echoed = echoes.issuer, echoed != issuer { throw mismatch("iss") }
        if let echoed = echoes.audience, Set(echoed) != Set(audience) { throw mismatch("aud") }
        if let echoed = echoes.eventsSupported, Set(echoed) != Set(supported) { throw mismatch("events_supported") }
        if let echoed = echoes.eventsDelivered, Set(echoed) != Set(delivered) { throw mismatch("events_delivered") }
        if let echoed = echoes.minVerificationInterval, echoed != minVerificationInterval {
            throw mismatch("min_verification_interval")
        }
    }

    /// The delivery the stream gets: the receiver's push endpoint, or our poll URL.
    private func resolvedDelivery(
        streamID: String,
        current: StreamDelivery?,
        context: Context
    ) throws(SSFRequestError) -> StreamDelivery {
        let pollURL = SSFTransmitterMetadata.pollURL(publicBaseURL: context.publicBaseURL, streamID: streamID)
        guard let delivery else {
            switch kind {
            case .create: return StreamDelivery(method: .poll, endpointURL: pollURL)
            case .update: return current!
            case .replace: throw SSFRequestError.badRequest("delivery is required when a stream is replaced")
            }
        }
        switch delivery.method {
        case .poll:
            if let sent = delivery.endpointURL, sent != pollURL {
                throw SSFRequestError.badRequest("a poll stream's endpoint_url is assigned by the transmitter")
            }
            if case .value = delivery.authorizationHeader {
                throw SSFRequestError.badRequest("authorization_header applies to push delivery only")
            }
            return StreamDelivery(method: .poll, endpointURL: pollURL)
        case .push:
            guard let url = delivery.endpointURL else {
                throw SSFRequestError.badRequest("push delivery needs the receiver's endpoint_url")
            }
            try Self.checkPushEndpoint(url, allowInsecure: context.allowInsecureEndpoints)
            let header: String?
            switch delivery.authorizationHeader {
            case .value(let value): header = value
            case .null: header = nil
            case .absent:
                // Kept only for the same endpoint: a header for one URL must never follow the
                // stream to another, where whoever runs it would read the receiver's secret.
                let same = current?.method == .push && current?.endpointURL == url
                header = same ? current?.authorizationHeader : nil
            }
            return StreamDelivery(method: .push, endpointURL: url, authorizationHeader: header)
        }
    }

    /// A push endpoint is an absolute `https` URL (plain `http` only when allowed), with a host,
    /// without a fragment or credentials. Where it resolves to is checked at each push (DEL-8).
    public static func checkPushEndpoint(_ value: String, allowInsecure: Bool) throws(SSFRequestError) {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty,
            !value.contains(where: \.isWhitespace)
        else {
            throw SSFRequestError.badRequest("endpoint_url must be an absolute URL")
        }
        guard scheme == "https" || (scheme == "http" && allowInsecure) else {
            throw SSFRequestError.badRequest("endpoint_url must use https")
        }
        guard url.fragment == nil, !value.contains("#") else {
            throw SSFRequestError.badRequest("endpoint_url must not contain a fragment")
        }
        guard url.user == nil, url.password == nil else {
            throw SSFRequestError.badRequest("endpoint_url must not carry credentials: use authorization_header")
        }
    }
}
