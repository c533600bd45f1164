/// A front-channel logout request an OP's logout page sent through the browser (OIDC
/// Front-Channel Logout 1.0 §2–4), bridged here into back-channel deliveries.
///
/// It carries no signature: the `sid` is its only credential. So it is held to more than the
/// spec asks of an RP's iframe (FC-2): both parameters, once each, the `iss` exact, and it ends
/// only live sessions that hold that `sid` (FC-3), never a subject's or an RP's at large.
public struct FrontChannelNotice: Sendable, Equatable {
    public var iss: String
    public var sid: String

    public init(iss: String, sid: String) {
        self.iss = iss
        self.sid = sid
    }

    /// The events it records say so: their `sid` is a credential (FC-3), never shown on a page.
    public static let source = "frontchannel"

    /// As logout tokens' identifiers (IN-14): longer values are no OP's session ids.
    public static let maximumLength = 1024

    /// FC-2: the query's `iss` and `sid`; every other parameter is ignored.
    public static func parse(query: String?) throws(TokenRejection) -> FrontChannelNotice {
        guard let form = FormBody(Array((query ?? "").utf8)) else {
            throw TokenRejection("FC-2", "the query is not valid URL encoding")
        }
        func one(_ name: String) throws(TokenRejection) -> String {
            let values = form.values(named: name)
            guard values.count <= 1 else { throw TokenRejection("FC-2", "\(name) must be sent once") }
            guard let value = values.first, !value.isEmpty else {
                throw TokenRejection("FC-2", "\(name) is missing: the OP must send iss and sid (session required)")
            }
            guard value.utf8.count <= maximumLength else {
                throw TokenRejection("FC-2", "\(name) is longer than \(maximumLength) bytes")
            }
            guard !SafeText.hasControlCharacters(value) else {
                throw TokenRejection("FC-2", "\(name) contains a control character")
            }
            return value
        }
        return FrontChannelNotice(iss: try one("iss"), sid: try one("sid"))
    }

    /// FC-1 and FC-2 against the registration the path names. An issuer that is unknown or has
    /// not turned the intake on gets the same answer: the route does not say which names exist.
    public func check(against issuer: Issuer?) throws(TokenRejection) {
        guard let issuer, issuer.frontchannelIntake else {
            throw TokenRejection("FC-1", "no front-channel logout is taken for this issuer name")
        }
        guard iss == issuer.issuer else {
            throw TokenRejection("FC-2", "iss is not the issuer registered under this name")
        }
    }

    /// FC-4: the origins that may frame our answer: the OP's, from its `iss` and its
    /// end-session endpoint (the logout page that holds the iframe is served from one of them).
    public static func frameAncestors(of issuer: Issuer) -> [String] {
        FrontChannelPlan.origins([issuer.issuer, issuer.endSessionEndpoint].compactMap { $0 })
    }
}
