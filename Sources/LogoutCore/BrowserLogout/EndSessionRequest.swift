/// The parameters of an RP-initiated logout (RP-Initiated Logout 1.0 §2), from the query of a
/// `GET` or the form of a `POST`.
public struct EndSessionRequest: Sendable, Equatable {
    public var idTokenHint: String?
    public var postLogoutRedirectURI: String?
    public var state: String?
    public var clientID: String?
    public var logoutHint: String?
    public var uiLocales: String?

    static let names = [
        "id_token_hint", "post_logout_redirect_uri", "state", "client_id", "logout_hint", "ui_locales",
    ]
    /// Longer values are refused: an ID token is a few KiB, a URI or a state far less.
    static let maximumLength = 8192

    public init(
        idTokenHint: String? = nil,
        postLogoutRedirectURI: String? = nil,
        state: String? = nil,
        clientID: String? = nil,
        logoutHint: String? = nil,
        uiLocales: String? = nil
    ) {
        self.idTokenHint = idTokenHint
        self.postLogoutRedirectURI = postLogoutRedirectURI
        self.state = state
        self.clientID = clientID
        self.logoutHint = logoutHint
        self.uiLocales = uiLocales
    }

    /// Reads the known parameters; others are ignored (§2 allows extensions). An empty value
    /// counts as absent. A parameter given twice is refused (BR-1), even when one of the two is
    /// empty: two readers could pick different ones, and the redirect target must be the one that
    /// was checked.
    public static func parse(_ fields: [(name: String, value: String)]) throws(TokenRejection) -> EndSessionRequest {
        var values: [String: String] = [:]
        var seen: Set<String> = []
        for (name, value) in fields where names.contains(name) {
            guard seen.insert(name).inserted else {
                throw TokenRejection("BR-1", "the parameter \(name) is given more than once")
            }
            guard value.utf8.count <= maximumLength else {
                throw TokenRejection("BR-1", "the parameter \(name) is longer than \(maximumLength) bytes")
            }
            if SafeText.hasControlCharacters(value) {
                throw TokenRejection("BR-1", "the parameter \(name) contains a control character")
            }
            if !value.isEmpty { values[name] = value }
        }
        return EndSessionRequest(
            idTokenHint: values["id_token_hint"],
            postLogoutRedirectURI: values["post_logout_redirect_uri"],
            state: values["state"],
            clientID: values["client_id"],
            logoutHint: values["logout_hint"],
            uiLocales: values["ui_locales"]
        )
    }
}
