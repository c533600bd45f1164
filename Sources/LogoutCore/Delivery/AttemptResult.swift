/// What happened when we tried to deliver one logout token, as the HTTP client saw it.
public enum AttemptResult: Sendable, Equatable {
    case response(HTTPAnswer)
    case transportFailure(ErrorClass, detail: String)
}

/// The parts of an RP's HTTP answer the delivery rules look at.
public struct HTTPAnswer: Sendable, Equatable {
    public var status: Int
    public var location: String?
    /// The raw `Retry-After` value, parsed by the policy (seconds only; HTTP dates are ignored).
    public var retryAfter: String?
    /// `error` and `error_description` from a JSON error body, or a short text excerpt.
    public var rpError: String?
    /// The address that answered: with several behind one name, the one an admin must look at.
    public var remoteAddress: String?

    public init(
        status: Int,
        location: String? = nil,
        retryAfter: String? = nil,
        rpError: String? = nil,
        remoteAddress: String? = nil
    ) {
        self.status = status
        self.location = location
        self.retryAfter = retryAfter
        self.rpError = rpError
        self.remoteAddress = remoteAddress
    }
}

/// The error classes of rulebook ADM-2, as stored in the attempt log.
public enum ErrorClass: String, Sendable, Codable, CaseIterable {
    case timeout
    case dns
    case tls
    case refused
    /// Any other connection-level failure (reset, closed early, protocol error).
    case connection
    case redirect
    case http4xx = "http_4xx"
    case http5xx = "http_5xx"
    /// The SSRF guard refused the target address (DEL-8).
    case blocked
    /// The token could not be minted (for example a missing HS256 client secret).
    case signing
}
