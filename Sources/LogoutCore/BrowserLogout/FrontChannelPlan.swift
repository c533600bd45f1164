/// Front-Channel Logout 1.0 (BR-7): RPs that learn of a logout through the browser. Each RP with
/// a live session this logout ends and a `frontchannel_logout_uri` gets a hidden iframe on the
/// interstitial page; the browser loads them with the RP's own cookies.
public enum FrontChannelPlan {
    /// - Parameters:
    ///   - sessions: the subject's live sessions at the hint's issuer, read before they end.
    ///   - sid: the hint's session; `nil` ends every session of the subject.
    ///   - ourIssuer: the `iss` for RPs whose tokens come from us (as in their back-channel tokens).
    public static func frames(
        sessions: [Session],
        sid: String?,
        relyingParties: [String: RelyingParty],
        ourIssuer: String
    ) -> [String] {
        var frames: [String] = []
        for session in sessions where sid == nil || session.sid == sid {
            guard let rp = relyingParties[session.clientID], rp.enabled, let uri = rp.frontchannelLogoutURI else {
                continue
            }
            var frame = uri
            if rp.frontchannelLogoutSessionRequired {
                // §2: `iss` and `sid` as the RP knows them. Without an RP-facing sid only `iss`
                // goes; the RP then ends what the browser's cookies tell it.
                var fields = [("iss", rp.tokenIssuer ?? ourIssuer)]
                if let rpSid = session.rpSid { fields.append(("sid", rpSid)) }
                let query = fields.map { $0 + "=" + FormEncoding.encode($1) }.joined(separator: "&")
                frame += (uri.contains("?") ? "&" : "?") + query
            }
            if !frames.contains(frame) { frames.append(frame) }
        }
        return frames
    }

    /// `scheme://host[:port]` of each frame, for the page's `frame-src`: only those RPs may be
    /// framed, nothing else.
    public static func origins(_ frames: [String]) -> [String] {
        var origins: [String] = []
        for frame in frames {
            if let origin = origin(of: frame), !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }

    /// A CSP source for a registered URL, or nil: an http(s) scheme, a host of letters, digits,
    /// dots and hyphens (or a bracketed IPv6 literal) and digits for a port. Nothing else gets
    /// into a policy: no wildcard, no `;` or space that would start another directive.
    public static func origin(of url: String) -> String? {
        guard let schemeEnd = url.firstRange(of: "://") else { return nil }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else { return nil }
        let authority = url[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = (authority.split(separator: "@", omittingEmptySubsequences: false).last ?? "").lowercased()
        var host = Substring(hostAndPort)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return nil }
            let literal = host[host.index(after: host.startIndex)..<close]
            guard !literal.isEmpty, literal.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return nil }
            let rest = host[host.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":") else { return nil }
                port = rest.dropFirst()
            }
            host = host[...close]
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            guard !host.isEmpty, !host.hasPrefix("."), !host.hasPrefix("-"),
                host.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "." || $0 == "-" })
            else { return nil }
        }
        if let port {
            guard (1...5).contains(port.count), port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            return "\(scheme)://\(host):\(port)"
        }
        return "\(scheme)://\(host)"
    }
}
