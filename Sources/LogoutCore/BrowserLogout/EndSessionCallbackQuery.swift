/// The query of `/end-session/callback`, where the upstream IdP sends the browser back with the
/// `state` we gave it (BR-6).
///
/// The state is the only key to a single-use return record, so anything that is not exactly one
/// plausible state is refused here, before it reaches the database: a repeated `state` could let
/// two readers consume different records, and an unbounded or control-laden one would only cost a
/// hash and a log line.
public enum EndSessionCallbackQuery {
    /// Our states are 43 base64url characters; 256 bytes leaves room for none other to matter.
    public static let maximumStateBytes = 256

    /// The `state`, or BR-6. Descriptions never echo the state: it is a bearer secret until used.
    public static func parse(_ query: String?) throws(TokenRejection) -> String {
        guard let form = FormBody(Array((query ?? "").utf8)) else {
            throw TokenRejection("BR-6", "the callback's query is not valid URL encoding")
        }
        let states = form.values(named: "state")
        guard states.count <= 1 else {
            throw TokenRejection("BR-6", "the callback's state is given more than once")
        }
        guard let state = states.first, !state.isEmpty else {
            throw TokenRejection("BR-6", "the callback has no state")
        }
        guard state.utf8.count <= maximumStateBytes else {
            throw TokenRejection("BR-6", "the callback's state is longer than \(maximumStateBytes) bytes")
        }
        if SafeText.hasControlCharacters(state) {
            throw TokenRejection("BR-6", "the callback's state contains a control character")
        }
        return state
    }
}
