/// An OAuth access token presented to the stream endpoints instead of a receiver's own bearer
/// token (contract C7; the CAEP interoperability profile's OAuth scheme): an RFC 9068 JWT issued
/// by a registered issuer to a client whose `client_id` is a registered receiver's name, for our
/// issuer URL as its audience, carrying `ssf.manage` (or `ssf.read`, for reads only).
///
/// Pure, in the order of `LogoutTokenValidator`: the header before any key is looked up, the
/// claims after the signature has been verified.
public enum AccessTokenValidator {
    public static let manageScope = "ssf.manage"
    public static let readScope = "ssf.read"
    /// How far ahead an access token's `exp` may lie.
    public static let maximumLifetime: Duration = .seconds(86_400)

    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
        /// Valid, but without the scope the request needs: `403 insufficient_scope` (RFC 6750
        /// §3.1) rather than `401 invalid_token`.
        public let insufficientScope: Bool

        public init(_ description: String, insufficientScope: Bool = false) {
            self.description = description
            self.insufficientScope = insufficientScope
        }
    }

    public static func checkHeader(
        _ header: [String: JSONValue],
        policy: IssuerPolicy
    ) throws(Refusal) -> CheckedHeader {
        // RFC 9068 §4: explicit typing, so an ID token or a logout token is never taken for one.
        guard let typ = JOSEType.normalized(header["typ"]) else {
            throw Refusal("typ at+jwt is required in the JOSE header (RFC 9068 §2.1)")
        }
        guard typ == "at+jwt" else { throw Refusal("typ \(quoted(typ)) is not at+jwt") }
        do {
            return try LogoutTokenValidator.checkSigningHeader(header, policy: policy)
        } catch {
            throw Refusal(error.description)
        }
    }

    /// The `client_id` the token was issued to, once every rule holds.
    /// - Parameters:
    ///   - audience: our issuer URL, the resource these endpoints are.
    ///   - writing: the request changes something (`ssf.manage` needed); else `ssf.read` will do.
    public static func checkClaims(
        _ claims: [String: JSONValue],
        policy: IssuerPolicy,
        audience: String,
        writing: Bool,
        now: Timestamp
    ) throws(Refusal) -> String {
        guard claims["iss"]?.stringValue == policy.issuer else { throw Refusal("iss is not the registered issuer") }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let one)?: audiences = [one]
        case .array(let many)?: audiences = many.compactMap(\.stringValue)
        default: throw Refusal("aud is missing")
        }
        guard audiences.contains(audience) else { throw Refusal("aud does not name \(quoted(audience))") }
        let seconds = now.secondsSince1970
        let skew = policy.clockSkew.seconds
        guard let exp = claims["exp"]?.numberValue else { throw Refusal("exp is missing (RFC 9068 §2.2)") }
        guard exp > seconds - skew else { throw Refusal("the access token has expired") }
        // A token that lives for years is a credential that cannot be taken back.
        guard exp <= seconds + maximumLifetime.seconds + skew else {
            throw Refusal("the access token is valid for more than \(formatDuration(maximumLifetime))")
        }
        guard let iat = claims["iat"]?.numberValue else { throw Refusal("iat is missing (RFC 9068 §2.2)") }
        guard iat <= seconds + skew else { throw Refusal("iat is in the future") }
        if let nbf = claims["nbf"] {
            guard let notBefore = nbf.numberValue, notBefore <= seconds + skew else {
                throw Refusal("the access token is not valid yet (nbf)")
            }
        }
        guard let clientID = claims["client_id"]?.stringValue, !clientID.isEmpty, clientID.count <= 256,
            !SafeText.hasControlCharacters(clientID)
        else { throw Refusal("client_id is missing (RFC 9068 §2.2)") }
        let scopes = Set((claims["scope"]?.stringValue ?? "").split(separator: " ").map(String.init))
        let enough = scopes.contains(manageScope) || (!writing && scopes.contains(readScope))
        guard enough else {
            throw Refusal(
                writing ? "the scope \(manageScope) is needed" : "the scope \(readScope) or \(manageScope) is needed",
                insufficientScope: true
            )
        }
        return clientID
    }
}
