/// The claims of the SETs we transmit (RFC 8417, SSF §4, CAEP §3.1; rule SSF-3). Signing is the
/// JWT module's: it takes `header` and these claims.
///
/// Each SET carries exactly one event (CAEP interoperability profile §2.8.1), a top-level `sub_id`
/// (SSF §3.1), and neither `sub` nor `exp` (SSF §4.1.2, §4.1.7: they would let a SET pass for
/// another kind of JWT). Unlike a logout token, a SET is made once per event and stream and kept
/// until delivered: its `jti` is the one a poll acknowledges.
public enum SecurityEventClaims {
    /// SSF §4.1.1: explicit typing, so no other JWT validator takes a SET for its own token.
    public static let type = "secevent+jwt"
    /// CAEP interoperability profile §2.6: RS256 with a key of at least 2048 bits.
    public static let algorithm = JWSAlgorithm.rs256
    /// The JOSE header members we set; the signer adds `kid`.
    public static let header: [String: JSONValue] = ["typ": .string(type), "alg": .string(algorithm.rawValue)]
    /// `Content-Type` of a pushed SET (RFC 8935 §2).
    public static let contentType = "application/secevent+jwt"

    /// CAEP §2 `initiating_entity`: who caused the event.
    public enum InitiatingEntity: String, Sendable, CaseIterable, Codable {
        case admin
        case user
        case policy
        case system
    }

    /// A CAEP session-revoked SET for a person (CAEP §3.1): `sub_id` is their `iss_sub`, or a
    /// complex subject with the session as an opaque id when the logout named one.
    /// - Parameters:
    ///   - reasonAdmin: why, for the receiver's logs; CAEP interoperability profile §3.1 wants it
    ///     non-empty, so an empty reason becomes "Session revoked".
    ///   - txn: our event id: the same for every SET (and logout token) of one logout (SSF §4.1.9).
    public static func sessionRevoked(
        issuer: String,
        audience: [String],
        subject: SubjectIdentifier,
        sessionID: String?,
        eventTime: Timestamp,
        reasonAdmin: String,
        initiatingEntity: InitiatingEntity,
        issuedAt: Timestamp,
        jti: String,
        txn: String
    ) -> JSONValue {
        let reason = reasonAdmin.trimmingWhitespace().isEmpty ? "Session revoked" : reasonAdmin
        let event: JSONValue = [
            "event_timestamp": numericDate(eventTime),
            "reason_admin": ["en": .string(reason)],
            "initiating_entity": .string(initiatingEntity.rawValue),
        ]
        var claims = common(issuer: issuer, audience: audience, issuedAt: issuedAt, jti: jti)
        claims["txn"] = .string(txn)
        claims["sub_id"] = withSession(subject, sessionID).json
        claims["events"] = .object([SSFEventType.sessionRevoked.rawValue: event])
        return .object(claims)
    }

    /// A verification SET (SSF §8.1.4.1): `sub_id` is the stream, `state` echoed when the
    /// receiver sent one (and absent when we verify on our own initiative).
    public static func verification(
        issuer: String,
        audience: [String],
        streamID: String,
        state: String?,
        issuedAt: Timestamp,
        jti: String
    ) -> JSONValue {
        var event: [String: JSONValue] = [:]
        if let state { event["state"] = .string(state) }
        var claims = common(issuer: issuer, audience: audience, issuedAt: issuedAt, jti: jti)
        return streamEvent(.verification, event, streamID: streamID, claims: &claims)
    }

    /// A stream-updated SET (SSF §8.1.5): we changed the stream's status without being asked.
    public static func streamUpdated(
        issuer: String,
        audience: [String],
        streamID: String,
        status: StreamStatus,
        issuedAt: Timestamp,
        jti: String
    ) -> JSONValue {
        var event: [String: JSONValue] = ["status": .string(status.state.rawValue)]
        if let reason = status.reason { event["reason"] = .string(reason) }
        var claims = common(issuer: issuer, audience: audience, issuedAt: issuedAt, jti: jti)
        return streamEvent(.streamUpdated, event, streamID: streamID, claims: &claims)
    }

    /// An event about the stream itself: its `sub_id` is the stream id as an opaque subject.
    private static func streamEvent(
        _ type: SSFEventType,
        _ event: [String: JSONValue],
        streamID: String,
        claims: inout [String: JSONValue]
    ) -> JSONValue {
        claims["sub_id"] = SubjectIdentifier.opaque(streamID).json
        claims["events"] = .object([type.rawValue: .object(event)])
        return .object(claims)
    }

    private static func common(
        issuer: String,
        audience: [String],
        issuedAt: Timestamp,
        jti: String
    )
        -> [String: JSONValue]
    {
        [
            "iss": .string(issuer),
            "aud": StreamConfiguration.audienceJSON(audience),
            "iat": numericDate(issuedAt),
            "jti": .string(jti),
        ]
    }

    /// The person's subject, made complex with the session when there is one (CAEP §3.1).
    private static func withSession(_ subject: SubjectIdentifier, _ sessionID: String?) -> SubjectIdentifier {
        guard let sessionID else { return subject }
        switch subject {
        case .complex(var complex):
            complex.session = .opaque(sessionID)
            return .complex(complex)
        default:
            return .complex(SubjectIdentifier.ComplexSubject(user: subject, session: .opaque(sessionID)))
        }
    }

    /// Whole seconds (RFC 7519 NumericDate), rounded down.
    static func numericDate(_ time: Timestamp) -> JSONValue {
        let milliseconds = time.millisecondsSince1970
        let seconds = milliseconds >= 0 ? milliseconds / 1000 : (milliseconds - 999) / 1000
        return .number(Double(seconds))
    }
}
