import LogoutCore

/// Our OpenID Provider metadata: what RPs need to verify our logout tokens (C3).
enum Discovery {
    static func document(issuer: String) -> JSONValue {
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        return [
            "issuer": .string(issuer),
            "jwks_uri": .string(base + "/.well-known/jwks.json"),
            "backchannel_logout_supported": true,
            "backchannel_logout_session_supported": true,
            // C6: RP-initiated logout, with front-channel iframes for the RPs that need them.
            "end_session_endpoint": .string(base + "/end-session"),
            "frontchannel_logout_supported": true,
            "frontchannel_logout_session_supported": true,
            "id_token_signing_alg_values_supported": ["ES256", "RS256", "EdDSA"],
        ]
    }
}
