/// The rules for a SET pushed to us (SSF-5; RFC 8935 §2, RFC 8417 §2, SSF §4), as pure functions
/// of the token, the issuer's policy and the time, in the shape of `LogoutTokenValidator`.
///
/// The header is checked before any key is looked up or signature computed; the claims after the
/// signature has been verified. What decides an action (`iss`, `aud`, `iat`, `jti`, the one
/// event, `sub_id`) is checked strictly; annotations (`txn`, `reason_admin`, `event_timestamp`,
/// `initiating_entity`) are read when well formed and otherwise ignored, so a badly written
/// reason never keeps a revocation from ending sessions.
public enum SETValidator {
    /// How old a SET may be. Much longer than a logout token's 10 minutes: a SET waits while a
    /// stream is paused, and a transmitter retries for days. Replay records outlive it.
    public static let defaultMaximumAge: Duration = .seconds(7 * 86_400)

    public static func checkHeader(
        _ header: [String: JSONValue],
        policy: IssuerPolicy
    ) throws(SETRejection) -> CheckedHeader {
        // SSF §4.1.1: explicit typing. Compared as a media type: any case, `application/` optional.
        guard let typ = JOSEType.normalized(header["typ"]) else {
            throw SETRejection(.invalidRequest, "typ secevent+jwt is required in the JOSE header")
        }
        guard typ == SecurityEventClaims.type else {
            throw SETRejection(.invalidRequest, "typ \(quoted(header["typ"]?.stringValue ?? "")) is not secevent+jwt")
        }
        do {
            return try LogoutTokenValidator.checkSigningHeader(header, policy: policy)
        } catch {
            // IN-4 is about the algorithm, which picks the key: RFC 8935's invalid_key. The rest
            // (jku, x5u, jwk, x5c, crit, a bad kid) is a malformed request.
            throw SETRejection(error.rule == "IN-4" ? .invalidKey : .invalidRequest, error.description)
        }
    }

    /// Checks the claims of a SET whose signature has been verified.
    /// - Parameters:
    ///   - audience: what `aud` must contain: our issuer URL, or the audience set on the issuer.
    ///   - now: the caller's wall clock.
    public static func checkClaims(
        _ claims: [String: JSONValue],
        policy: IssuerPolicy,
        audience: String,
        now: Timestamp,
        maximumAge: Duration = defaultMaximumAge
    ) throws(SETRejection) -> ReceivedSET {
        guard let iss = claims["iss"]?.stringValue else { throw SETRejection(.invalidIssuer, "iss is missing") }
        guard iss == policy.issuer else {
            throw SETRejection(
                .invalidIssuer,
                "iss \(quoted(iss)) is not the registered issuer \(quoted(policy.issuer))"
            )
        }
        try checkAudience(claims["aud"], expected: audience)

        guard let iat = claims["iat"]?.numberValue else {
            throw SETRejection(.invalidRequest, "iat is missing or not a NumericDate")
        }
        // Compared as doubles: any JSON number is safe.
        let seconds = now.secondsSince1970
        let skew = policy.clockSkew.seconds
        if iat > seconds + skew { throw SETRejection(.invalidRequest, "iat is in the future") }
        if iat < seconds - maximumAge.seconds - skew {
            throw SETRejection(.invalidRequest, "the SET is older than \(formatDuration(maximumAge)) (iat)")
        }
        // SSF §4.1.2, §4.1.7: a SET has neither; a token that does is another kind of JWT.
        for name in ["sub", "exp"] where claims[name] != nil {
            throw SETRejection(.invalidRequest, "a SET must not carry \(name) (SSF §4.1)")
        }
        let jti = try identifier(claims["jti"], name: "jti", maximum: SSFLimits.maximumJTILength)
        let txn = claims["txn"]?.stringValue.flatMap { text in
            text.count <= SSFLimits.maximumIdentifierLength && !SafeText.hasControlCharacters(text) ? text : nil
        }

        guard let events = claims["events"]?.objectValue else {
            throw SETRejection(.invalidRequest, "events is missing or not a JSON object")
        }
        // CAEP interoperability profile §2.8.1: exactly one event.
        guard events.count == 1, let first = events.first else {
            throw SETRejection(.invalidRequest, "events must hold exactly one event (it holds \(events.count))")
        }
        guard let payload = first.value.objectValue else {
            throw SETRejection(.invalidRequest, "the event member is not a JSON object")
        }
        // SSF §3.1: the top-level sub_id names the subject, even for CAEP's older events.
        guard let subID = claims["sub_id"], subID.objectValue?["format"]?.stringValue != nil else {
            throw SETRejection(.invalidRequest, "sub_id is missing or has no format")
        }
        let type = SSFEventType(rawValue: first.key)
        let (subject, event) = try interpret(type, payload: payload, subID: subID, issuer: iss)
        return ReceivedSET(
            issuer: iss,
            jti: jti,
            txn: txn,
            issuedAt: Timestamp(secondsSince1970: iat),
            subject: subject,
            event: event
        )
    }

    private static func checkAudience(_ aud: JSONValue?, expected: String) throws(SETRejection) {
        let audiences: [String]
        switch aud {
        case .string(let value)?: audiences = [value]
        case .array(let values)?: audiences = values.compactMap(\.stringValue)
        case nil: throw SETRejection(.invalidAudience, "aud is missing")
        default: throw SETRejection(.invalidAudience, "aud must be a string or an array of strings")
        }
        guard audiences.contains(expected) else {
            throw SETRejection(.invalidAudience, "aud does not contain our audience \(quoted(expected))")
        }
    }

    /// A non-empty string of at most `maximum` characters without control characters (IN-14).
    static func identifier(_ value: JSONValue?, name: String, maximum: Int) throws(SETRejection) -> String {
        guard let text = value?.stringValue, !text.isEmpty else {
            throw SETRejection(.invalidRequest, "\(name) must be a non-empty string")
        }
        guard text.count <= maximum else {
            throw SETRejection(.invalidRequest, "\(name) is longer than \(maximum) characters")
        }
        if SafeText.hasControlCharacters(text) {
            throw SETRejection(.invalidRequest, "\(name) contains a control character")
        }
        return text
    }
}
