/// The decisions of an RP-initiated logout (RP-Initiated Logout 1.0 §2, §3), as values: what the
/// request alone decides, then, once the hint is verified, which RP asked and where the browser
/// may go. Nothing is fanned out and nobody is redirected unless every check passed.
public enum EndSessionPlanner {
    public enum Screening: Sendable, Equatable {
        /// Nothing to end and nowhere to return (no parameters, only `state`, no hint and no
        /// redirect): the signed-out page.
        case signedOutPage
        case refused(TokenRejection)
        /// Verify this hint, then `decide`.
        case verify(hint: String)
    }

    public enum Decision: Sendable, Equatable {
        /// End the hint's session everywhere, then redirect to `redirect` (the registered URI
        /// with the RP's `state`), or show the signed-out page when it is `nil`.
        case logout(IdTokenHint, clientID: String, redirect: String?)
        case refused(TokenRejection)
    }

    public static func screen(_ request: EndSessionRequest) -> Screening {
        guard let hint = request.idTokenHint else {
            guard request.postLogoutRedirectURI == nil else {
                // §3: without the ID token the RP received, the redirect target cannot be tied to
                // it, and we would not know whose sessions to end.
                return .refused(
                    TokenRejection(
                        "BR-3",
                        "post_logout_redirect_uri needs the id_token_hint the application received at login"
                    )
                )
            }
            return .signedOutPage
        }
        return .verify(hint: hint)
    }

    /// - Parameter audience: what each RP named by the hint (or by `client_id`) may do with it
    ///   (BR-9); the registry's answer, read by the caller.
    public static func decide(
        _ request: EndSessionRequest,
        hint: IdTokenHint,
        audience: (String) -> HintAudience
    ) -> Decision {
        let clientID: String
        let redirectURIs: [String]
        if let asked = request.clientID {
            // §2: client_id, when given, must be the RP the hint was issued to.
            guard hint.audiences.contains(asked) else {
                return .refused(TokenRejection("BR-4", "client_id is not an RP the id_token_hint was issued to"))
            }
            guard let uris = audience(asked).redirectURIs else { return .refused(HintAudience.refusal) }
            (clientID, redirectURIs) = (asked, uris)
        } else if let party = hint.authorizedParty, hint.audiences.contains(party) {
            // `azp` names the party the token was issued to: it decides, eligible or not.
            guard let uris = audience(party).redirectURIs else { return .refused(HintAudience.refusal) }
            (clientID, redirectURIs) = (party, uris)
        } else {
            let answers = hint.audiences.map { ($0, audience($0)) }
            let eligible = answers.compactMap { name, answer in answer.redirectURIs.map { (name, $0) } }
            guard eligible.count == 1 else {
                if eligible.count > 1 {
                    return .refused(
                        TokenRejection("BR-4", "the id_token_hint names several registered RPs: send client_id")
                    )
                }
                return .refused(HintAudience.refusal)
            }
            (clientID, redirectURIs) = eligible[0]
        }
        guard let target = request.postLogoutRedirectURI else {
            return .logout(hint, clientID: clientID, redirect: nil)
        }
        // BR-5: exactly one of the URIs registered for that RP, compared as strings: another
        // query, case or trailing slash is another URI.
        guard redirectURIs.contains(target) else {
            return .refused(
                TokenRejection("BR-5", "post_logout_redirect_uri is not one registered for \(quoted(clientID))")
            )
        }
        return .logout(hint, clientID: clientID, redirect: withState(target, request.state))
    }

    /// BR-6: the upstream IdP's own end-session (its RP-initiated logout) with the hint it issued,
    /// our callback as the return target and a fresh `state` of ours.
    public static func upstream(
        endpoint: String,
        idTokenHint: String,
        callback: String,
        state: String,
        clientID: String?
    ) -> String {
        var fields = [("id_token_hint", idTokenHint), ("post_logout_redirect_uri", callback), ("state", state)]
        if let clientID { fields.append(("client_id", clientID)) }
        let query = fields.map { $0 + "=" + FormEncoding.encode($1) }.joined(separator: "&")
        return endpoint + (endpoint.contains("?") ? "&" : "?") + query
    }

    /// The registered URI with `state` added to its query (§3), existing parameters kept.
    public static func withState(_ uri: String, _ state: String?) -> String {
        guard let state else { return uri }
        let separator = uri.contains("?") ? (uri.hasSuffix("?") || uri.hasSuffix("&") ? "" : "&") : "?"
        return uri + separator + "state=" + FormEncoding.encode(state)
    }
}

/// `application/x-www-form-urlencoded` value encoding: everything but unreserved characters.
public enum FormEncoding {
    public static func encode(_ value: String) -> String {
        var encoded = ""
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = Array("0123456789ABCDEF".utf8)
                encoded += "%" + String(decoding: [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]], as: UTF8.self)
            }
        }
        return encoded
    }
}
