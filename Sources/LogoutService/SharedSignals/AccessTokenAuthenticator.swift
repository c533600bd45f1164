import Logging
import LogoutCore
import LogoutJWT

/// OAuth access tokens on the stream endpoints (contract C7): an RFC 9068 JWT of a registered
/// issuer, verified with that issuer's keys as its logout tokens are, for the receiver whose
/// OAuth `client_id` it names.
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
        /// Valid: the receiver (its name) the `client_id` is, and the registered issuer (its
        /// name) that signed it.
        case client(String, issuer: String)
        case refused(AccessTokenValidator.Refusal)
        /// The issuer's keys cannot be fetched now: the request is answered 503.
        case unavailable
    }

    /// A receiver's own token is not a JWS: only a compact JWS is read as an access token.
    static func looksLikeJWT(_ token: String) -> Bool {
        token.utf8.count > 64 && token.split(separator: ".").count == 3
    }

    /// - Parameter receiverOf: the receiver whose OAuth client is this `client_id` and the
    ///   registered issuer (its name) the admin named for it, or nil (no such receiver, or none
    ///   named): the token is verified with that issuer's keys only, whatever issuer it claims.
    func authenticate(
        _ token: String,
        writing: Bool,
        receiverOf: (String) async throws -> (receiver: String, issuer: String)?
    ) async throws -> Outcome {
        guard let jws = try? CompactJWS.parse(token) else {
            return .refused(.init("not a compact JWS"))
        }
        guard let clientID = jws.payload["client_id"]?.stringValue, let owner = try await receiverOf(clientID),
            let entry = directory.entry(named: owner.issuer)
        else { return .refused(.init("client_id names no receiver that takes access tokens")) }
        do {
            let header = try AccessTokenValidator.checkHeader(jws.header, policy: entry.policy)
            do {
                if case .retryLater = try await signatures.verify(jws, header: header, entry: entry) {
                    return .unavailable
                }
            } catch {
                return .refused(.init(error.description))
            }
            _ = try AccessTokenValidator.checkClaims(
                jws.payload,
                policy: entry.policy,
                audience: audience,
                writing: writing,
                now: now()
            )
            return .client(owner.receiver, issuer: entry.issuer.name)
        } catch {
            return .refused(error)
        }
    }
}
