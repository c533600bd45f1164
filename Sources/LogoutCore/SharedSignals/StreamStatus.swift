/// A stream's status (SSF §8.1.2): whether events flow, wait, or are dropped.
public struct StreamStatus: Sendable, Equatable {
    public enum State: String, Sendable, CaseIterable, Codable {
        /// Events are transmitted.
        case enabled
        /// Events are held and transmitted, in order, when the stream is enabled again (SSF-2).
        case paused
        /// Events are dropped: nothing is held for later.
        case disabled
    }

    public var state: State
    /// Why the status is what it is; bounded and printable, as it is shown to people.
    public var reason: String?

    public init(_ state: State, reason: String? = nil) {
        self.state = state
        self.reason = reason
    }

    /// The status read and update answer (SSF §8.1.2.1, §8.1.2.2).
    public func json(streamID: String) -> JSONValue {
        var object: [String: JSONValue] = ["stream_id": .string(streamID), "status": .string(state.rawValue)]
        if let reason { object["reason"] = .string(reason) }
        return .object(object)
    }
}

/// A receiver's `POST` to the status endpoint (SSF §8.1.2.2).
public struct StreamStatusUpdate: Sendable, Equatable {
    public var streamID: String
    public var status: StreamStatus

    public init(streamID: String, status: StreamStatus) {
        self.streamID = streamID
        self.status = status
    }

    public static func parse(_ body: JSONValue) throws(SSFRequestError) -> StreamStatusUpdate {
        let object = try SSFObject(body, what: "the status update")
        let streamID = try object.streamID()
        let name = try object.requiredString("status", maximum: 16)
        guard let state = StreamStatus.State(rawValue: name) else {
            throw SSFRequestError.badRequest("status must be enabled, paused or disabled")
        }
        // A reason is for people; a long one is cut rather than refused (SSF §8.1.2.2: "short").
        let reason = try object.string("reason", maximum: SSFLimits.maximumTextLength)
            .map { SafeText.printable($0, limit: SSFLimits.maximumReasonLength) }
        return StreamStatusUpdate(streamID: streamID, status: StreamStatus(state, reason: reason))
    }
}
