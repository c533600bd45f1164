import Foundation

/// The inbound token rules of the rulebook's section 1, as pure functions of the token, the
/// issuer's policy and the current time.
///
/// The header is checked before any key is looked up or any signature computed, so a token that
/// asks for a forbidden algorithm or key source costs no cryptography. Claims are checked after the
/// signature has been verified.
public enum LogoutTokenValidator {
    public static let maximumKeyIDLength = 128
    public static let maximumJTILength = 256
    public static let maximumSubjectLength = 1024

    /// Header members that would let a token choose its own verification key (IN-5).
    static let keySelectingHeaders = ["jku", "x5u", "jwk", "x5c"]

    public static func checkHeader(
        _ header: [String: JSONValue],
        policy: IssuerPolicy
    ) throws(TokenRejection) -> CheckedHeader {
        let checked = try checkSigningHeader(header, policy: policy)
        try checkType(header["typ"], policy: policy.typPolicy, trust: policy.trust)
        return checked
    }

    /// The header rules every token verified with an issuer's keys obeys, whatever its type
    /// (IN-4, IN-5): a logout token, or an ID token sent back as `id_token_hint`.
    public static func checkSigningHeader(
        _ header: [String: JSONValue],
        policy: IssuerPolicy
    ) throws(TokenRejection) -> CheckedHeader {
        guard let algName = header["alg"]?.stringValue else {
            throw TokenRejection("IN-4", "the JOSE header has no alg")
        }
        if algName.lowercased() == "none" {
            throw TokenRejection("IN-4", "unsigned tokens (alg none) are never accepted")
        }
        guard let algorithm = JWSAlgorithm(rawValue: algName), policy.algorithms.contains(algorithm) else {
            throw TokenRejection("IN-4", "alg \(quoted(algName)) is not allowed for issuer \(quoted(policy.name))")
        }
        switch (policy.trust, algorithm.isSymmetric) {
        case (.keys, true):
            throw TokenRejection("IN-4", "HMAC algorithms are only accepted from shared-secret issuers")
        case (.sharedSecret, false):
            throw TokenRejection("IN-4", "issuer \(quoted(policy.name)) signs with its shared secret (HS256)")
        default:
            break
        }
        for name in keySelectingHeaders where header[name] != nil {
            throw TokenRejection("IN-5", "the JOSE header member \(name) is not accepted: keys come from registration")
        }
        if header["crit"] != nil {
            throw TokenRejection("IN-5", "the JOSE header lists crit extensions, which are not supported")
        }
        var keyID: String?
        if let kid = header["kid"] {
            guard let value = kid.stringValue, !value.isEmpty, value.count <= maximumKeyIDLength else {
                throw TokenRejection("IN-5", "kid must be a string of 1 to \(maximumKeyIDLength) characters")
            }
            try rejectControlCharacters(value, name: "kid")
            keyID = value
        }
        return CheckedHeader(algorithm: algorithm, keyID: keyID)
    }

    /// IN-7: generic JWT libraries (PyJWT, jsonwebtoken, php-jwt) write `typ: JWT`, and the apps
    /// that sign with a shared secret use exactly those libraries, so `JWT` is their default.
    static func checkType(_ typ: JSONValue?, policy: TypPolicy, trust: IssuerPolicy.Trust) throws(TokenRejection) {
        guard let typ else {
            if policy == .strict {
                throw TokenRejection("IN-7", "typ logout+jwt is required by this issuer's policy")
            }
            return
        }
        guard let value = JOSEType.normalized(typ) else {
            throw TokenRejection("IN-7", "typ must be a string")
        }
        if value == "logout+jwt" { return }
        if value == "jwt" && (policy == .legacy || (policy == .default && trust == .sharedSecret)) { return }
        throw TokenRejection("IN-7", "typ \(quoted(typ.stringValue ?? "")) is not logout+jwt")
    }

    /// Checks the claims of a token whose signature has been verified.
    /// - Parameters:
    ///   - now: the caller's wall clock.
    ///   - pinnedRoute: the token came to the issuer's own route, `/backchannel-logout/{name}`.
    public static func checkClaims(
        _ claims: [String: JSONValue],
        policy: IssuerPolicy,
        now: Timestamp,
        pinnedRoute: Bool = false
    ) throws(TokenRejection) -> LogoutClaims {
        let appToken = policy.trust == .sharedSecret
        // Token times are NumericDates in seconds and may be anything a JSON number can hold:
        // compared as doubles, never converted to an integer that could trap.
        let now = now.secondsSince1970
        let skew = policy.clockSkew.seconds
        let maximumAge = policy.maximumTokenAge.seconds

        // IN-8: only an app on its own route may leave iss out (the Logora doc's tokens do).
        let iss = try optionalString(claims, "iss", rule: "IN-8")
        if let iss {
            try rejectControlCharacters(iss, name: "iss")
            guard iss == policy.issuer else {
                throw TokenRejection("IN-8", "iss \(quoted(iss)) is not the registered issuer \(quoted(policy.issuer))")
            }
        } else if !(appToken && pinnedRoute) {
            throw TokenRejection("IN-8", "iss is missing")
        }

        // IN-9
        try checkAudience(claims["aud"], expected: policy.audience)

        // IN-10
        guard let iatValue = claims["iat"] else { throw TokenRejection("IN-10", "iat is missing") }
        guard let iat = iatValue.numberValue else { throw TokenRejection("IN-10", "iat is not a NumericDate") }
        if iat > now + skew {
            throw TokenRejection("IN-10", "iat is in the future")
        }
        if iat < now - maximumAge - skew {
            throw TokenRejection("IN-10", "the token is older than \(formatDuration(policy.maximumTokenAge)) (iat)")
        }
        if let nbf = claims["nbf"] {
            guard let value = nbf.numberValue else { throw TokenRejection("IN-10", "nbf is not a NumericDate") }
            if value > now + skew { throw TokenRejection("IN-10", "the token is not valid yet (nbf)") }
        }

        // IN-11
        if let expValue = claims["exp"] {
            guard let value = expValue.numberValue else { throw TokenRejection("IN-11", "exp is not a NumericDate") }
            guard now < value + skew else { throw TokenRejection("IN-11", "the token has expired (exp)") }
        } else if policy.requireExp {
            throw TokenRejection("IN-11", "exp is missing")
        }

        // IN-12
        let jti = try optionalString(claims, "jti", rule: "IN-12")
        if let jti {
            guard jti.count <= maximumJTILength else {
                throw TokenRejection("IN-12", "jti is longer than \(maximumJTILength) characters")
            }
            try rejectControlCharacters(jti, name: "jti")
        } else if !appToken {
            throw TokenRejection("IN-12", "jti is missing")
        }

        // IN-13
        if let events = claims["events"] {
            guard let object = events.objectValue else { throw TokenRejection("IN-13", "events is not a JSON object") }
            guard let member = object[LogoutClaims.backchannelLogoutEvent] else {
                throw TokenRejection("IN-13", "events does not contain the back-channel logout event")
            }
            guard member.objectValue != nil else {
                throw TokenRejection("IN-13", "the back-channel logout event member is not a JSON object")
            }
        } else if !appToken {
            throw TokenRejection("IN-13", "events is missing")
        }

        // IN-14
        let sub = try optionalString(claims, "sub", rule: "IN-14")
        let sid = try optionalString(claims, "sid", rule: "IN-14")
        for (name, value) in [("sub", sub), ("sid", sid)] {
            guard let value else { continue }
            if value.count > maximumSubjectLength {
                throw TokenRejection("IN-14", "\(name) is longer than \(maximumSubjectLength) characters")
            }
            try rejectControlCharacters(value, name: name)
        }
        if appToken {
            guard sub != nil else { throw TokenRejection("IN-16", "app tokens must carry sub, the app's user id") }
        } else if sub == nil && sid == nil {
            throw TokenRejection("IN-14", "the token has neither sub nor sid")
        }

        // IN-15
        if claims["nonce"] != nil {
            throw TokenRejection("IN-15", "a logout token must not contain a nonce")
        }

        return LogoutClaims(iss: iss, sub: sub, sid: sid, jti: jti)
    }

    /// A string claim that, when present, must be a non-empty string.
    private static func optionalString(
        _ claims: [String: JSONValue],
        _ name: String,
        rule: String
    ) throws(TokenRejection) -> String? {
        guard let value = claims[name] else { return nil }
        guard let string = value.stringValue, !string.isEmpty else {
            throw TokenRejection(rule, "\(name) must be a non-empty string")
        }
        return string
    }

    /// IN-14: storage and C APIs stop at NUL, so `alice\u0000x` would name alice.
    static func rejectControlCharacters(_ value: String, name: String) throws(TokenRejection) {
        if SafeText.hasControlCharacters(value) {
            throw TokenRejection("IN-14", "\(name) contains a control character")
        }
    }

    private static func checkAudience(_ aud: JSONValue?, expected: String) throws(TokenRejection) {
        let audiences: [String]
        switch aud {
        case .none:
            throw TokenRejection("IN-9", "aud is missing")
        case .string(let value)?:
            try rejectControlCharacters(value, name: "aud")
            audiences = [value]
        case .array(let values)?:
            var strings: [String] = []
            for value in values {
                guard let string = value.stringValue else {
                    throw TokenRejection("IN-9", "aud must be a string or an array of strings")
                }
                try rejectControlCharacters(string, name: "aud")
                strings.append(string)
            }
            audiences = strings
        default:
            throw TokenRejection("IN-9", "aud must be a string or an array of strings")
        }
        guard audiences.contains(expected) else {
            throw TokenRejection("IN-9", "aud does not contain the audience registered for this issuer")
        }
    }
}
