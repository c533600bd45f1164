/// The body and client authentication of one RFC 7009 revocation request (BR-8).
public struct RevocationRequest: Sendable, Equatable {
    /// `token=…&token_type_hint=…`, form-encoded (RFC 7009 §2.1).
    public var form: String
    /// `client_secret_basic`: the client id and secret are each form-encoded before they are
    /// joined and base64-encoded (RFC 6749 §2.3.1), so a `:` in either survives.
    public var authorization: String?

    public init(token: String, type: RevocationTokenType, clientID: String?, clientSecret: String?) {
        form = "token=\(FormEncoding.encode(token))&token_type_hint=\(type.hint)"
        if let clientID, let clientSecret {
            let credentials = FormEncoding.encode(clientID) + ":" + FormEncoding.encode(clientSecret)
            authorization = "Basic " + Self.base64(Array(credentials.utf8))
        } else if let clientID {
            // A public client identifies itself in the body (RFC 7009 §2.1, RFC 6749 §3.2.1).
            form += "&client_id=\(FormEncoding.encode(clientID))"
            authorization = nil
        } else {
            authorization = nil
        }
    }

    /// Standard base64 with padding (the `Authorization` header's), from the URL-safe alphabet.
    static func base64(_ bytes: [UInt8]) -> String {
        var text = String(
            Base64URL.encode(bytes).map { character -> Character in
                switch character {
                case "-": "+"
                case "_": "/"
                default: character
                }
            }
        )
        while text.utf8.count % 4 != 0 { text += "=" }
        return text
    }
}
