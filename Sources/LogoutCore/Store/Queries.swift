/// What admins (and tests) ask the registry and the log for. Lists run newest first; `beforeID`
/// pages backwards.
public struct SessionQuery: Sendable, Equatable {
    /// A registered issuer's name or its `iss`.
    public var issuer: String?
    public var sub: String?
    /// The session id at the issuer.
    public var sid: String?
    public var clientID: String?
    /// Sessions a logout ended are kept for the log; listed only when asked for.
    public var includeEnded: Bool
    public var limit: Int

    public init(
        issuer: String? = nil,
        sub: String? = nil,
        sid: String? = nil,
        clientID: String? = nil,
        includeEnded: Bool = false,
        limit: Int = 100
    ) {
        self.issuer = issuer
        self.sub = sub
        self.sid = sid
        self.clientID = clientID
        self.includeEnded = includeEnded
        self.limit = limit
    }
}

public struct EventQuery: Sendable, Equatable {
    public var outcome: EventRecord.Outcome?
    /// A registered issuer's name, or an `iss`.
    public var issuer: String?
    /// The subject at the issuer.
    public var sub: String?
    public var limit: Int
    public var beforeID: Int64?

    public init(
        outcome: EventRecord.Outcome? = nil,
        issuer: String? = nil,
        sub: String? = nil,
        limit: Int = 100,
        beforeID: Int64? = nil
    ) {
        self.outcome = outcome
        self.issuer = issuer
        self.sub = sub
        self.limit = limit
        self.beforeID = beforeID
    }
}

public struct DeliveryQuery: Sendable, Equatable {
    public var status: DeliveryStatus?
    public var clientID: String?
    public var eventID: Int64?
    public var limit: Int
    public var beforeID: Int64?
    /// Only deliveries with a larger id (following the log as it grows).
    public var afterID: Int64?

    public init(
        status: DeliveryStatus? = nil,
        clientID: String? = nil,
        eventID: Int64? = nil,
        limit: Int = 100,
        beforeID: Int64? = nil,
        afterID: Int64? = nil
    ) {
        self.status = status
        self.clientID = clientID
        self.eventID = eventID
        self.limit = limit
        self.beforeID = beforeID
        self.afterID = afterID
    }
}
