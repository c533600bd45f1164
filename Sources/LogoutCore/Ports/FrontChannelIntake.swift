/// A front-channel logout request as it reached `/frontchannel-logout/{name}`.
public struct InboundFrontChannel: Sendable {
    /// The path's issuer name: unverified, it only selects a registration.
    public var issuerName: String
    public var query: String?
    public var clientAddress: String?
    /// Who is charged for a refusal (SEC-4): the client address, an IPv6 client's /64.
    public var budgetKey: String?

    public init(issuerName: String, query: String?, clientAddress: String? = nil, budgetKey: String? = nil) {
        self.issuerName = issuerName
        self.query = query
        self.clientAddress = clientAddress
        self.budgetKey = budgetKey ?? clientAddress
    }
}

/// What the OP's iframe gets. Every answer says which origins may frame it (FC-4): the page is
/// shown inside the OP's logout page, and nowhere else.
public struct FrontChannelAnswer: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        /// Recorded with its fan-out (an event id), or nothing left to end (a repeat, or no live
        /// session holds the `sid`): to the OP both are "logged out".
        case signedOut(eventID: Int64?)
        /// `FC-1` is answered `404`, the others `400`.
        case rejected(TokenRejection)
        case rateLimited(retryAfter: Duration)
        case unavailable(reason: String, retryAfter: Duration)
    }

    public var outcome: Outcome
    /// Empty when the issuer is unknown or has no intake: then the page may not be framed.
    public var frameAncestors: [String]

    public init(_ outcome: Outcome, frameAncestors: [String] = []) {
        self.outcome = outcome
        self.frameAncestors = frameAncestors
    }
}

/// Where the public listener hands a front-channel logout request: implemented by the service
/// layer with the issuer registrations, budgets and durable write of logout tokens.
public protocol FrontChannelIntake: Sendable {
    func receive(frontChannel request: InboundFrontChannel) async -> FrontChannelAnswer
}
