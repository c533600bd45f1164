/// A receiver's request for a verification event (SSF §8.1.4.2): `{"stream_id","state"}`.
public struct VerificationRequest: Sendable, Equatable {
    public var streamID: String
    /// Echoed in the verification SET's event (SSF §8.1.4.1).
    public var state: String?

    public init(streamID: String, state: String? = nil) {
        self.streamID = streamID
        self.state = state
    }

    public static func parse(_ body: JSONValue) throws(SSFRequestError) -> VerificationRequest {
        let object = try SSFObject(body, what: "the verification request")
        return VerificationRequest(
            streamID: try object.streamID(),
            state: try object.identifier("state", maximum: SSFLimits.maximumTextLength)
        )
    }

    /// 429 when the stream's last verification was asked for less than `minimumInterval` ago
    /// (SSF §8.1.1 `min_verification_interval`); never otherwise, as SSF §8.1.4.2 asks.
    public static func checkRate(
        lastRequestedAt: Timestamp?,
        now: Timestamp,
        minimumInterval: Duration?
    ) throws(SSFRequestError) {
        guard let lastRequestedAt, let minimumInterval else { return }
        let elapsed = lastRequestedAt.duration(to: now)
        if elapsed < minimumInterval {
            throw SSFRequestError.tooManyRequests(
                "verification was requested \(formatDuration(elapsed)) ago; "
                    + "wait \(formatDuration(minimumInterval)) between requests"
            )
        }
    }
}
