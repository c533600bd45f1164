/// The claims of a logout token that passed every rule, reduced to what the fan-out needs.
public struct LogoutClaims: Sendable, Equatable {
    public static let backchannelLogoutEvent = "http://schemas.openid.net/event/backchannel-logout"

    public var iss: String?
    public var sub: String?
    public var sid: String?
    public var jti: String?

    public init(iss: String?, sub: String?, sid: String?, jti: String?) {
        self.iss = iss
        self.sub = sub
        self.sid = sid
        self.jti = jti
    }
}

/// The parts of a JOSE header that passed the header rules.
public struct CheckedHeader: Sendable, Equatable {
    public let algorithm: JWSAlgorithm
    public let keyID: String?

    public init(algorithm: JWSAlgorithm, keyID: String?) {
        self.algorithm = algorithm
        self.keyID = keyID
    }
}
