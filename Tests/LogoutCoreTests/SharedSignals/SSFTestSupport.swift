import LogoutCore

/// A JSON document written in a test, read by the strict parser (a typo fails the test).
func ssfJSON(_ text: String) -> JSONValue {
    try! StrictJSONParser.parse(Array(text.utf8))
}

/// The error a throwing SSF rule gives, or nil when it accepts.
func ssfRefusal<T>(_ body: () throws(SSFRequestError) -> T) -> SSFRequestError? {
    do {
        _ = try body()
        return nil
    } catch {
        return error
    }
}
