/// Which streams get a session-revoked SET for which logouts (SSF-3, C7): pure, so the store
/// only reads the logouts and streams and writes the plan in the same transaction as its cursor.
///
/// A logout is sent to every stream that is not disabled (a disabled stream drops its events,
/// SSF §8.1.2), delivers session-revoked, and has not had the person removed (SSF §8.1.3;
/// streams carry everyone by default). A paused stream's SETs are held until it is enabled.
public enum SecurityEventFanOut {
    /// One accepted logout, as the event log has it.
    public struct Logout: Sendable, Equatable {
        public var eventID: Int64
        /// The issuer name, `admin` or `end-session`.
        public var source: String
        /// The upstream `iss`, `sub` and `sid` the logout named.
        public var iss: String
        public var sub: String?
        public var sid: String?
        public var receivedAt: Timestamp

        public init(eventID: Int64, source: String, iss: String, sub: String?, sid: String?, receivedAt: Timestamp) {
            self.eventID = eventID
            self.source = source
            self.iss = iss
            self.sub = sub
            self.sid = sid
            self.receivedAt = receivedAt
        }
    }

    /// A stream as fan-out needs it.
    public struct Stream: Sendable, Equatable {
        public var configuration: StreamConfiguration
        public var status: StreamStatus.State
        public var removedSubjects: [SubjectIdentifier]

        public init(
            configuration: StreamConfiguration,
            status: StreamStatus.State,
            removedSubjects: [SubjectIdentifier]
        ) {
            self.configuration = configuration
            self.status = status
            self.removedSubjects = removedSubjects
        }
    }

    /// One SET to keep: its claims (never a signed token: the signature is made when it is sent).
    public struct Planned: Sendable, Equatable {
        public var streamID: String
        public var eventID: Int64
        public var jti: String
        public var claims: JSONValue
        /// The stream is paused: held until it is enabled.
        public var held: Bool
    }

    /// - Parameter makeJTI: a fresh random `jti` per SET (injected: the plan is exact in tests).
    public static func plan(
        _ logouts: [Logout],
        streams: [Stream],
        issuer: String,
        now: Timestamp,
        makeJTI: () -> String
    ) -> [Planned] {
        var planned: [Planned] = []
        for logout in logouts {
            guard let subject = subject(of: logout) else { continue }
            for stream in streams where stream.status != .disabled {
                guard stream.configuration.delivers(.sessionRevoked) else { continue }
                let removed = stream.removedSubjects.contains { removed in
                    if let sub = logout.sub {
                        return removed.matches(iss: logout.iss, sub: sub, sessionID: logout.sid)
                    }
                    return removed.matches(subject)
                }
                if removed { continue }
                let jti = makeJTI()
                let claims = SecurityEventClaims.sessionRevoked(
                    issuer: issuer,
                    audience: stream.configuration.audience,
                    subject: logout.sub.map { .issSub(iss: logout.iss, sub: $0) } ?? subject,
                    sessionID: logout.sub == nil ? nil : logout.sid,
                    eventTime: logout.receivedAt,
                    reasonAdmin: reason(of: logout),
                    initiatingEntity: initiatingEntity(of: logout),
                    issuedAt: now,
                    jti: jti,
                    txn: String(logout.eventID)
                )
                planned.append(
                    Planned(
                        streamID: stream.configuration.streamID,
                        eventID: logout.eventID,
                        jti: jti,
                        claims: claims,
                        held: stream.status == .paused
                    )
                )
            }
        }
        return planned
    }

    /// The person, or the session alone when the logout named only a `sid`; nothing when it
    /// named neither (no such logout is accepted, but a plan never guesses).
    static func subject(of logout: Logout) -> SubjectIdentifier? {
        if let sub = logout.sub { return .person(iss: logout.iss, sub: sub, sessionID: logout.sid) }
        guard let sid = logout.sid else { return nil }
        return .complex(SubjectIdentifier.ComplexSubject(user: nil, session: .opaque(sid)))
    }

    /// `reason_admin` (CAEP §2): which of our sources ended the session, for the receiver's logs.
    static func reason(of logout: Logout) -> String {
        switch logout.source {
        case "admin": return "Logged out by an administrator of logoutd"
        case "end-session": return "The user logged out at an application (OpenID Connect RP-Initiated Logout)"
        case FrontChannelNotice.source:
            return "The user logged out at \(logout.iss) (OpenID Connect Front-Channel Logout, bridged)"
        default: return "Back-channel logout from \(logout.iss) (OpenID Connect Back-Channel Logout)"
        }
    }

    static func initiatingEntity(of logout: Logout) -> SecurityEventClaims.InitiatingEntity {
        logout.source == "admin" ? .admin : .user
    }
}
