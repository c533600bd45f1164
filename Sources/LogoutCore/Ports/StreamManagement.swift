/// Who a bearer token on the stream endpoints is.
public enum StreamAuthentication: Sendable, Equatable {
    case receiver(String)
    /// Missing, malformed, unknown, expired, or for a client that is no registered receiver:
    /// `401 invalid_token`, the same answer for each.
    case invalidToken
    /// A valid access token without the scope the request needs: `403 insufficient_scope`.
    case insufficientScope(String)
    /// The client's budget of refused tokens is spent (SEC-4): `429`, nothing verified.
    case rateLimited(Duration)
}

/// SSF stream management (SSF §8, rulebook SSF-2) as the public listener's routes see it: JSON
/// in, JSON out, for the receiver the bearer token names. Refusals are `SSFRequestError`s; a
/// store that fails is the caller's 503.
public protocol StreamManagement: Sendable {
    /// The receiver a bearer token names: its own token, or an OAuth access token (RFC 9068) a
    /// registered issuer gave to the client of that name, with a scope for the request
    /// (`writing`: anything but a read).
    /// `budgetKey` is who pays for a refused token (the client address, an IPv6 client's /64).
    func receiver(presenting token: String, writing: Bool, budgetKey: String?) async throws -> StreamAuthentication
    /// `/.well-known/ssf-configuration` (SSF-1).
    func metadata() -> JSONValue

    /// `POST` the configuration endpoint: the new stream (`201`).
    func createStream(_ body: JSONValue, receiver: String) async throws -> JSONValue
    /// `GET`: one stream, or every stream of the receiver as an array when `streamID` is nil.
    func readStreams(_ streamID: String?, receiver: String) async throws -> JSONValue
    /// `PATCH` (`replace` false) or `PUT` (`replace` true).
    func changeStream(_ body: JSONValue, replace: Bool, receiver: String) async throws -> JSONValue
    /// `DELETE`: `204`.
    func deleteStream(_ streamID: String, receiver: String) async throws

    func status(_ streamID: String, receiver: String) async throws -> JSONValue
    func updateStatus(_ body: JSONValue, receiver: String) async throws -> JSONValue
    /// Add (`remove` false, `200`) or remove (`remove` true, `204`) a subject.
    func changeSubject(_ body: JSONValue, remove: Bool, receiver: String) async throws

    /// `POST` a poll stream's `endpoint_url` (RFC 8936, SSF-4): acknowledgements, then SETs.
    func poll(_ streamID: String, _ body: JSONValue, receiver: String) async throws -> JSONValue
    /// `POST` the verification endpoint: a verification SET is queued (`204`).
    func verify(_ body: JSONValue, receiver: String) async throws
}
