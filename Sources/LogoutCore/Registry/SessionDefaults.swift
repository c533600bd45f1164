/// What a session registration leaves unsaid (contract C4, rulebook RES-3).
public enum SessionDefaults {
    /// The RP-facing `sid`: as registered; none when registered as `null`; otherwise the upstream
    /// `sid` only when the RP's tokens come from that same upstream issuer. An RP that hears from
    /// logoutd (or another issuer) cannot know the upstream `sid`, and mod_auth_openidc answers
    /// 200 to an unknown `sid` while ending nothing: a silent no-op.
    public static func rpSid(
        registered: String?,
        registeredAsNone: Bool,
        sid: String?,
        sessionIssuer: String,
        rpTokenIssuer: String
    ) -> String? {
        if registeredAsNone { return nil }
        if let registered { return registered }
        return rpTokenIssuer == sessionIssuer ? sid : nil
    }
}
