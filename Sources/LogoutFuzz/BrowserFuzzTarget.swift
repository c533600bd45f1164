import LogoutCore

/// The parsers a browser reaches: `/end-session` (its query or form, which both go through
/// `FormBody`, and the `id_token_hint` in it) and `/end-session/callback`. A browser is anyone,
/// so each check states what the route relies on, and for the two parameter parsers exactly which
/// inputs they must accept: a parser that refuses too much breaks logout, one that accepts too
/// much lets a second reader see another value.
enum BrowserFuzzTarget {
    static let policy = FuzzTarget.policy
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let maximumExpiredAge: Duration = .seconds(86_400)
    static let endSessionParameters = [
        "id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint", "ui_locales",
    ]
    /// RFC 7515's members that would let a token choose the key that verifies it.
    static let keySelectingMembers = ["jku", "x5u", "jwk", "x5c"]

    static func run(text: String, form: FormBody?) {
        if let form {
            checkEndSessionRequest(form)
            for hint in form.values(named: "id_token_hint") { checkHint(hint) }
        }
        checkHint(text)
        checkCallback(text)
    }

    /// BR-1: accepted exactly when no known parameter is repeated, too long or holding a control
    /// character; then each one read is the one value given, and an empty one is absent.
    static func checkEndSessionRequest(_ form: FormBody) {
        let acceptable = endSessionParameters.allSatisfy { name in
            let given = form.values(named: name)
            return given.count <= 1 && given.allSatisfy { $0.utf8.count <= 8192 && !SafeText.hasControlCharacters($0) }
        }
        let request: EndSessionRequest
        do {
            request = try EndSessionRequest.parse(form.fields)
        } catch {
            precondition(error.rule == "BR-1", "EndSessionRequest refused with \(error.rule)")
            precondition(!SafeText.hasControlCharacters(error.description), "a refusal holds a control character")
            precondition(!acceptable, "EndSessionRequest refused acceptable parameters: \(error.description)")
            return
        }
        precondition(acceptable, "EndSessionRequest accepted a repeated, overlong or control-laden parameter")
        let read = [
            request.idTokenHint, request.postLogoutRedirectURI, request.state, request.clientID,
            request.logoutHint, request.uiLocales,
        ]
        for (name, value) in zip(endSessionParameters, read) {
            let given = form.values(named: name).filter { !$0.isEmpty }
            precondition(given == (value.map { [$0] } ?? []), "EndSessionRequest read another \(name)")
            guard let value else { continue }
            precondition(!value.isEmpty && value.utf8.count <= 8192, "\(name) is empty or longer than 8192 bytes")
            precondition(!SafeText.hasControlCharacters(value), "\(name) holds a control character")
        }
    }

    /// BR-6: accepted exactly when the query is valid URL encoding with one `state` of 1 to 256
    /// bytes and no control character, and then that state is the one returned.
    static func checkCallback(_ query: String) {
        let states = FormBody(Array(query.utf8))?.values(named: "state")
        let state: String
        do {
            state = try EndSessionCallbackQuery.parse(query)
        } catch {
            precondition(error.rule == "BR-6", "EndSessionCallbackQuery refused with \(error.rule)")
            precondition(!SafeText.hasControlCharacters(error.description), "a refusal holds a control character")
            if let states, states.count == 1, let only = states.first {
                precondition(
                    only.isEmpty || only.utf8.count > 256 || SafeText.hasControlCharacters(only),
                    "EndSessionCallbackQuery refused a plausible state: \(error.description)"
                )
            }
            return
        }
        precondition(states == [state], "the callback's state is not the one value given")
        precondition((1...256).contains(state.utf8.count), "the callback's state is empty or longer than 256 bytes")
        precondition(!SafeText.hasControlCharacters(state), "the callback's state holds a control character")
    }

    /// BR-2 and BR-9, as the service applies them between the header and the signature: an accepted header
    /// names one of the issuer's asymmetric algorithms and cannot pick its key or pass for a
    /// logout token; accepted claims are the issuer's, for a subject, with an audience, not a
    /// logout token's, and not expired longer ago than allowed.
    static func checkHint(_ token: String) {
        guard let jws = try? CompactJWS.parse(token) else { return }
        do {
            let checked = try IdTokenHintValidator.checkHeader(jws.header, policy: policy)
            precondition(
                jws.header["alg"]?.stringValue == checked.algorithm.rawValue,
                "the alg read is not the alg given"
            )
            precondition(policy.algorithms.contains(checked.algorithm), "an alg the issuer does not use was accepted")
            precondition(!checked.algorithm.isSymmetric, "an HMAC alg was accepted from an issuer with keys")
            precondition(
                keySelectingMembers.allSatisfy { jws.header[$0] == nil } && jws.header["crit"] == nil,
                "a header that selects its key or lists crit was accepted"
            )
            let typ = jws.header["typ"]?.stringValue?.lowercased()
            precondition(typ != "logout+jwt" && typ != "application/logout+jwt", "a logout token's typ was accepted")
        } catch {
            checkRefusal(error)
        }
        do {
            let hint = try IdTokenHintValidator.checkClaims(
                jws.payload,
                policy: policy,
                now: now,
                maximumExpiredAge: maximumExpiredAge
            )
            precondition(hint.iss == policy.issuer, "the hint's iss is not the issuer's")
            precondition(
                jws.payload["iss"]?.stringValue == policy.issuer,
                "a hint without the issuer's iss was accepted"
            )
            precondition(jws.payload["events"] == nil, "a logout token was accepted as a hint")
            precondition(
                !hint.sub.isEmpty && jws.payload["sub"]?.stringValue == hint.sub,
                "the hint's sub is not its sub"
            )
            precondition(!hint.audiences.isEmpty, "a hint without an audience was accepted")
            let identifiers = [hint.sub, hint.sid, hint.authorizedParty].compactMap { $0 } + hint.audiences
            precondition(
                !identifiers.contains(where: SafeText.hasControlCharacters),
                "a hint holds a control character"
            )
            guard let exp = jws.payload["exp"]?.numberValue, exp.isFinite else {
                preconditionFailure("a hint without a finite exp was accepted")
            }
            // BR-9: an ID token has an iat, not in the future beyond the skew.
            guard let iat = jws.payload["iat"]?.numberValue else {
                preconditionFailure("a hint without iat was accepted")
            }
            precondition(
                iat <= now.secondsSince1970 + policy.clockSkew.seconds,
                "a hint issued in the future was accepted"
            )
            precondition(
                hint.expiresAt == Timestamp(secondsSince1970: exp),
                "the hint's expiry is not its exp"
            )
            precondition(
                now.secondsSince1970 <= exp + maximumExpiredAge.seconds + policy.clockSkew.seconds,
                "a hint that expired too long ago was accepted"
            )
        } catch {
            checkRefusal(error)
        }
    }

    static func checkRefusal(_ error: TokenRejection) {
        precondition(error.rule == "BR-2" || error.rule == "BR-9", "the hint was refused with \(error.rule)")
        precondition(!SafeText.hasControlCharacters(error.description), "a refusal holds a control character")
    }
}
