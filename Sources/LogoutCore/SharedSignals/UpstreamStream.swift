/// Our own stream at a registered issuer's SSF transmitter (SSF-5, the receiver role): where we
/// asked for it, how its SETs reach us, and how far setting it up has come.
///
/// The admin sets `settings` and the token; the upstream service does the rest and records
/// each step here, so every replica and the admin see the same state, and a restart resumes
/// where it stopped. `generation` changes with each change of settings, and never comes back:
/// a step begun for the stream as it was may not write over the stream as it is.
public struct UpstreamStream: Sendable, Equatable {
    public struct Settings: Sendable, Equatable {
        /// The transmitter's `/.well-known/ssf-configuration` URL (SSF §7.2).
        public var configurationURL: String
        /// Push to our `/ssf/push/{issuer}`, or poll the transmitter (SSF §6.1).
        public var delivery: SSFDeliveryMethod

        public init(configurationURL: String, delivery: SSFDeliveryMethod) {
            self.configurationURL = configurationURL
            self.delivery = delivery
        }
    }

    public enum State: String, Sendable, CaseIterable {
        /// To be created (again) at the transmitter.
        case creating
        /// Created; the verification SET we asked for has not come back yet.
        case verifying
        /// Created and verified: the transmitter reaches us (push) or we reach it (poll).
        case verified
    }

    public var issuerName: String
    public var settings: Settings
    /// The transmitter's credential for its stream endpoints and poll URL, sealed
    /// (`SealedField.upstreamToken`).
    public var sealedToken: [UInt8]
    public var generation: Int64
    public var state: State
    /// The transmitter's id for our stream, once created.
    public var streamID: String?
    /// Where we poll (its `delivery.endpoint_url`), for a poll stream.
    public var pollURL: String?
    /// The transmitter's stream-management endpoint, read from its metadata.
    public var configurationEndpoint: String?
    /// The `state` of the verification we asked for: the verification SET must echo it.
    public var verificationState: String?
    public var verifiedAt: Timestamp?
    /// What went wrong last, for the admin (never a token); cleared by the next success.
    public var lastError: String?
    public var lastErrorAt: Timestamp?
    /// When the transmitter last answered a poll (nil for push streams).
    public var lastPolledAt: Timestamp?
    public var updatedAt: Timestamp

    public init(
        issuerName: String,
        settings: Settings,
        sealedToken: [UInt8],
        generation: Int64 = 1,
        state: State = .creating,
        streamID: String? = nil,
        pollURL: String? = nil,
        configurationEndpoint: String? = nil,
        verificationState: String? = nil,
        verifiedAt: Timestamp? = nil,
        lastError: String? = nil,
        lastErrorAt: Timestamp? = nil,
        lastPolledAt: Timestamp? = nil,
        updatedAt: Timestamp
    ) {
        self.issuerName = issuerName
        self.settings = settings
        self.sealedToken = sealedToken
        self.generation = generation
        self.state = state
        self.streamID = streamID
        self.pollURL = pollURL
        self.configurationEndpoint = configurationEndpoint
        self.verificationState = verificationState
        self.verifiedAt = verifiedAt
        self.lastError = lastError
        self.lastErrorAt = lastErrorAt
        self.lastPolledAt = lastPolledAt
        self.updatedAt = updatedAt
    }

    /// The longest `last_error` kept.
    public static let maximumErrorLength = 512
}

extension UpstreamStream {
    /// A new generation: random, never the old one. A stream removed and set up again must not
    /// get its old generation back, or a step begun for the old one could write into it (and
    /// send the new token to the old transmitter).
    public static func nextGeneration(
        after old: Int64?,
        using generator: inout some RandomNumberGenerator
    ) -> Int64 {
        var next = Int64.random(in: 1...Int64.max, using: &generator)
        while next == old { next = Int64.random(in: 1...Int64.max, using: &generator) }
        return next
    }

    public static func nextGeneration(after old: Int64?) -> Int64 {
        var generator = SystemRandomNumberGenerator()
        return nextGeneration(after: old, using: &generator)
    }

    /// After `failures` failed steps in a row: 1 s, doubling, at most 5 minutes. A transmitter
    /// that is down is asked again soon, one that refuses us is not hammered.
    public static func retryDelay(afterFailures failures: Int) -> Duration {
        .seconds(min(300, 1 << min(max(failures - 1, 0), 9)))
    }
}
