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
            guard let schemeEnd = frame.firstRange(of: "://") else { continue }
            let rest = frame[schemeEnd.upperBound...]
            let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
            let host = authority.split(separator: "@").last.map(String.init) ?? ""
            guard !host.isEmpty, host.allSatisfy({ !$0.isWhitespace && $0 != ";" && $0 != "," && $0 != "'" }) else {
                continue
            }
            let origin = frame[..<schemeEnd.lowerBound].lowercased() + "://" + host.lowercased()
            if !origins.contains(origin) { origins.append(origin) }
        }
        return origins
    }
}
