/// What the one event of a valid SET asks of us (SSF-5).
extension SETValidator {
    static func interpret(
        _ type: SSFEventType,
        payload: [String: JSONValue],
        subID: JSONValue,
        issuer: String
    ) throws(SETRejection) -> (SubjectIdentifier?, ReceivedEvent) {
        switch type {
        case .sessionRevoked:
            let subject: SubjectIdentifier
            do {
                subject = try SubjectIdentifier.parse(subID)
            } catch  where error.unsupportedFormat {
                return (nil, .notActedOn(type: type, reason: "sub_id: \(error.description)"))
            } catch {
                throw SETRejection(.invalidRequest, "sub_id: \(error.description)")
            }
            return (subject, sessionRevoked(subject, payload: payload, issuer: issuer, type: type))
        case .verification:
            let streamID = try streamSubject(subID)
            return (.opaque(streamID), .verification(streamID: streamID, state: try state(payload["state"])))
        case .streamUpdated:
            let streamID = try streamSubject(subID)
            guard let name = payload["status"]?.stringValue, let state = StreamStatus.State(rawValue: name) else {
                throw SETRejection(.invalidRequest, "a stream-updated event needs status enabled, paused or disabled")
            }
            let reason = payload["reason"]?.stringValue.map {
                SafeText.printable($0, limit: SSFLimits.maximumReasonLength)
            }
            return (.opaque(streamID), .streamUpdated(streamID: streamID, status: StreamStatus(state, reason: reason)))
        default:
            // Accepted so a transmitter that sends more does not break; the subject only for the log.
            return (try? SubjectIdentifier.parse(subID), .notActedOn(type: type, reason: "event type not acted on"))
        }
    }

    /// The sessions a session-revoked subject names at `issuer` (CAEP §3.1): a user by `iss_sub`
    /// of that issuer, a session by an opaque id (as a simple subject, CAEP's first example, or
    /// the `session` of a complex one), or both. A user of another issuer is not acted on: a
    /// registered issuer ends only its own users' sessions, never another issuer's.
    static func sessionRevoked(
        _ subject: SubjectIdentifier,
        payload: [String: JSONValue],
        issuer: String,
        type: SSFEventType
    ) -> ReceivedEvent {
        var user: SubjectIdentifier?
        var session: SubjectIdentifier?
        switch subject {
        case .complex(let complex):
            // SSF §3.3: every member must match. A session names one session whatever else is
            // said of it (CAEP §3.1's example adds the tenant); without one, a device, an
            // application or a tenant narrows the user to something our sessions do not
            // record, and acting on the user alone would end more sessions than the event names.
            guard complex.session != nil || complex.others.isEmpty else {
                let members = complex.others.keys.sorted().joined(separator: ", ")
                return .notActedOn(
                    type: type,
                    reason: "the complex subject narrows its user by \(members), which our sessions do not record"
                )
            }
            (user, session) = (complex.user, complex.session)
        case .opaque: session = subject
        default: user = subject
        }
        var sub: String?
        switch user {
        case .issSub(let userIssuer, let userSub)?:
            guard userIssuer == issuer else {
                return .notActedOn(type: type, reason: "the subject is a user of another issuer, \(quoted(userIssuer))")
            }
            sub = userSub
        case .email?:
            // Our sessions know people by iss and sub; the session, if any, still names one.
            if session == nil { return .notActedOn(type: type, reason: "an email subject names no session of ours") }
        default:
            break
        }
        var sid: String?
        if case .opaque(let id)? = session { sid = id }
        guard sub != nil || sid != nil else {
            return .notActedOn(type: type, reason: "the subject names neither a user nor a session of ours")
        }
        return .sessionRevoked(
            SessionRevocation(
                sub: sub,
                sid: sid,
                eventTime: payload["event_timestamp"]?.numberValue.map { Timestamp(secondsSince1970: $0) },
                reasonAdmin: reasonAdmin(payload["reason_admin"]),
                initiatingEntity: payload["initiating_entity"]?.stringValue.flatMap {
                    SecurityEventClaims.InitiatingEntity(rawValue: $0)
                }
            )
        )
    }

    /// SSF §8.1.4.1, §8.1.5: a stream's own events name it with an opaque `sub_id`.
    private static func streamSubject(_ subID: JSONValue) throws(SETRejection) -> String {
        guard case .opaque(let id)? = try? SubjectIdentifier.parse(subID) else {
            throw SETRejection(.invalidRequest, "the sub_id of a stream event must be the opaque stream id")
        }
        return id
    }

    private static func state(_ value: JSONValue?) throws(SETRejection) -> String? {
        guard let value else { return nil }
        return try identifier(value, name: "state", maximum: SSFLimits.maximumTextLength)
    }

    /// CAEP §2: a map of language tags to messages. English when there is one, else the first
    /// tag in order, so the same SET always gives the same text.
    private static func reasonAdmin(_ value: JSONValue?) -> String? {
        guard let messages = value?.objectValue else { return nil }
        let tag =
            messages["en"]?.stringValue != nil
            ? "en" : messages.keys.sorted().first { messages[$0]?.stringValue != nil }
        return tag.flatMap { messages[$0]?.stringValue }.map {
            SafeText.printable($0, limit: SSFLimits.maximumReasonLength)
        }
    }
}
