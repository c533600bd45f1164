/// What a verified `id_token_hint` says: who is logging out, of which session, at which RPs.
public struct IdTokenHint: Sendable, Equatable {
    public var iss: String
    public var sub: String
    public var sid: String?
    /// The RPs (client_ids) the ID token was issued to.
    public var audiences: [String]
    /// `azp`: the party it was issued to when there are several audiences.
    public var authorizedParty: String?
    /// `exp`: the hint is accepted until `tokens.expired_hint_max_age` after it, so its replay
    /// record is kept that long (BR-9).
    public var expiresAt: Timestamp?

    public init(
        iss: String,
        sub: String,
        sid: String? = nil,
        audiences: [String],
        authorizedParty: String? = nil,
        expiresAt: Timestamp? = nil
    ) {
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.audiences = audiences
        self.authorizedParty = authorizedParty
        self.expiresAt = expiresAt
    }
}

/// The rules of an `id_token_hint` (RP-Initiated Logout 1.0 §2, §4; RFC 8725 §3.11), apart from
/// its signature, which the service checks with the issuer's keys between the two steps.
public enum IdTokenHintValidator {
    /// The longest an `id_token_hint` may claim to stay valid from now.
    public static let maximumLifetime: Duration = .seconds(366 * 86_400)

    /// BR-2: the header rules of every token verified with an issuer's keys (never `none`, the
    /// issuer's algorithms, no key-selecting members), and a type that is not another kind of
    /// token: a logout token (`typ: logout+jwt`) is not an ID token.
    public static func checkHeader(
        _ header: [String: JSONValue],
        policy: IssuerPolicy
    ) throws(TokenRejection)
        -> CheckedHeader
    {
        let checked: CheckedHeader
        do {
            checked = try LogoutTokenValidator.checkSigningHeader(header, policy: policy)
        } catch {
            throw TokenRejection("BR-2", error.description)
        }
        if let typ = header["typ"] {
            let value = typ.stringValue?.lowercased()
            guard value == "jwt" || value == "application/jwt" else {
                throw TokenRejection("BR-2", "the id_token_hint's typ is not JWT")
            }
        }
        return checked
    }

    /// BR-2: an ID token of the registered issuer, for a subject. An expired hint is accepted up
    /// to `maximumExpiredAge` after its `exp` (RP-Initiated Logout §4: people log out long after
    /// their ID token expired), never beyond: an old token found in a log cannot end sessions.
    public static func checkClaims(
        _ claims: [String: JSONValue],
        policy: IssuerPolicy,
        now: Timestamp,
        maximumExpiredAge: Duration
    ) throws(TokenRejection) -> IdTokenHint {
        let now = now.secondsSince1970
        let skew = policy.clockSkew.seconds
        guard let iss = claims["iss"]?.stringValue, iss == policy.issuer else {
            throw TokenRejection("BR-2", "the id_token_hint's iss is not the registered issuer")
        }
        if claims["events"] != nil {
            throw TokenRejection("BR-9", "a token with events (a logout token or a SET) is not an id_token_hint")
        }
        let sub = try identifier(claims, "sub")
        guard let sub else { throw TokenRejection("BR-2", "the id_token_hint has no sub") }
        let sid = try identifier(claims, "sid")
        let authorizedParty = try identifier(claims, "azp")
        let audiences: [String]
        switch claims["aud"] {
        case .string(let value)?:
            audiences = [value]
        case .array(let values)?:
            audiences = values.compactMap(\.stringValue)
            guard audiences.count == values.count else {
                throw TokenRejection("BR-2", "the id_token_hint's aud must be a string or an array of strings")
            }
        default:
            throw TokenRejection("BR-2", "the id_token_hint has no aud")
        }
        guard !audiences.isEmpty, audiences.allSatisfy({ !SafeText.hasControlCharacters($0) }) else {
            throw TokenRejection("BR-2", "the id_token_hint's aud is empty or holds a control character")
        }
        guard let exp = claims["exp"]?.numberValue, exp.isFinite else {
            throw TokenRejection("BR-2", "the id_token_hint has no exp")
        }
        // An ID token lives minutes or hours; its replay record lives until it expires, so one
        // that claims to live for years is not an ID token we keep a record for (BR-9).
        guard exp <= now + maximumLifetime.seconds else {
            throw TokenRejection("BR-9", "the id_token_hint's exp is more than a year ahead")
        }
        guard now <= exp + maximumExpiredAge.seconds + skew else {
            throw TokenRejection("BR-2", "the id_token_hint expired more than \(formatDuration(maximumExpiredAge)) ago")
        }
        // BR-9: every ID token has an `iat` (OIDC Core §2); one from the future was not issued yet.
        guard let iat = claims["iat"] else { throw TokenRejection("BR-9", "the id_token_hint has no iat") }
        guard let issuedAt = iat.numberValue, issuedAt.isFinite, issuedAt <= now + skew else {
            throw TokenRejection("BR-9", "the id_token_hint's iat is not a NumericDate in the past")
        }
        return IdTokenHint(
            iss: iss,
            sub: sub,
            sid: sid,
            audiences: audiences,
            authorizedParty: authorizedParty,
            expiresAt: Timestamp(secondsSince1970: exp)
        )
    }

    private static func identifier(_ claims: [String: JSONValue], _ name: String) throws(TokenRejection) -> String? {
        guard let value = claims[name] else { return nil }
        guard let string = value.stringValue, !string.isEmpty,
            string.count <= LogoutTokenValidator.maximumSubjectLength
        else {
            throw TokenRejection("BR-2", "the id_token_hint's \(name) must be a string of 1 to 1024 characters")
        }
        if SafeText.hasControlCharacters(string) {
            throw TokenRejection("BR-2", "the id_token_hint's \(name) contains a control character")
        }
        return string
    }
}
