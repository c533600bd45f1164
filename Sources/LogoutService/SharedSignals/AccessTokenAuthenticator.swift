import Logging
import LogoutCore
import LogoutJWT

/// OAuth access tokens on the stream endpoints (contract C7): an RFC 9068 JWT of a registered
/// issuer, verified with that issuer's keys as its logout tokens are, whose `client_id` is then
/// looked up among the receivers by the caller.
struct AccessTokenAuthenticator: Sendable {
    let directory: IssuerDirectory
    let signatures: SignatureChecker
    /// Our `issuer`: the audience the token must name.
    let audience: String
    let now: @Sendable () -> Timestamp
    let logger: Logger

    /// The issuer's keys cannot be fetched now: the request is answered 503.
    struct KeysUnavailable: Error {}

    enum Outcome: Equatable {
        case client(String)
        case refused(AccessTokenValidator.Refusal)
        /// The issuer's keys cannot be fetched now: the request is answered 503.
        case unavailable
    }

    /// A receiver's own token is not a JWS: only a compact JWS is read as an access token.
    static func looksLikeJWT(_ token: String) -> Bool {
        token.utf8.count > 64 && token.split(separator: ".").count == 3
    }

    func authenticate(_ token: String, writing: Bool) async -> Outcome {
        guard let jws = try? CompactJWS.parse(token) else {
            return .refused(.init("not a compact JWS"))
        }
        guard
            case .found(let entry) = directory.lookup(
                pinnedName: nil,
                unverifiedIssuer: jws.payload["iss"]?.stringValue
            )
        else { return .refused(.init("iss is not a registered issuer")) }
        do {
            let header = try AccessTokenValidator.checkHeader(jws.header, policy: entry.policy)
            do {
                if case .retryLater = try await signatures.verify(jws, header: header, entry: entry) {
                    return .unavailable
                }
            } catch {
                return .refused(.init(error.description))
            }
            return .client(
                try AccessTokenValidator.checkClaims(
                    jws.payload,
                    policy: entry.policy,
                    audience: audience,
                    writing: writing,
                    now: now()
                )
            )
        } catch {
            return .refused(error)
        }
    }
}
