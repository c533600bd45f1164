/// What an intake transaction reads before it decides (IN-12, RES-2, BR-8), as the store found
/// it inside the transaction that will write the decision. The store reads what `IntakeQuery`
/// names and nothing is judged there: which sessions end, who hears of it and what is revoked
/// is `IntakePlanner`'s.
public struct IntakeSnapshot: Sendable, Equatable {
    /// The replay record already under the logout's key, when one is (expired or not); `nil`
    /// also when the store has just claimed the key for this transaction.
    public var previous: ReplayRecord?
    /// The subject's sessions the query selects that no logout has ended yet (expired ones
    /// included: expiry is judged by the planner).
    public var sessions: [Session]
    /// The RPs of those sessions, by client id.
    public var relyingParties: [String: RelyingParty]
    /// RPs that hear of every subject of the issuers they follow (RES-4).
    public var followers: [RelyingParty]
    /// Which upstream tokens each of those sessions holds (BR-8), by session id.
    public var heldTokens: [Int64: Set<RevocationTokenType>]
    /// The issuer has a `revocation_endpoint`.
    public var issuerRevokes: Bool

    public init(
        previous: ReplayRecord? = nil,
        sessions: [Session] = [],
        relyingParties: [String: RelyingParty] = [:],
        followers: [RelyingParty] = [],
        heldTokens: [Int64: Set<RevocationTokenType>] = [:],
        issuerRevokes: Bool = false
    ) {
        self.previous = previous
        self.sessions = sessions
        self.relyingParties = relyingParties
        self.followers = followers
        self.heldTokens = heldTokens
        self.issuerRevokes = issuerRevokes
    }
}

/// A replay record as stored (IN-12).
public struct ReplayRecord: Sendable, Equatable {
    public var tokenHash: String
    public var eventID: Int64
    public var expiresAt: Timestamp

    public init(tokenHash: String, eventID: Int64, expiresAt: Timestamp) {
        self.tokenHash = tokenHash
        self.eventID = eventID
        self.expiresAt = expiresAt
    }
}

/// What the store reads for an intake: the replay key, and which of the issuer's sessions not
/// yet ended are candidates (RES-2), as equalities the store's SQL applies as given.
public struct IntakeQuery: Sendable, Equatable {
    public var replay: ReplayKey?
    public var issuerName: String
    /// `nil`: no session is a candidate (a logout that names neither `sub` nor `sid`).
    public var sessions: SessionFilter?

    public struct SessionFilter: Sendable, Equatable {
        /// Both, when given, must equal; at least one is given.
        public var sub: String?
        public var sid: String?

        public init(sub: String?, sid: String?) {
            self.sub = sub
            self.sid = sid
        }
    }

    public init(replay: ReplayKey?, issuerName: String, sessions: SessionFilter?) {
        self.replay = replay
        self.issuerName = issuerName
        self.sessions = sessions
    }
}
