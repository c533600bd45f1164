import LogoutCore
import Testing

/// BR-6: the callback's query yields exactly one plausible `state` or is refused, and a refusal
/// says why without echoing the state.
@Suite struct EndSessionCallbackQueryTests {
    /// 43 characters, as our 32 random bytes in base64url.
    static let state = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    @Test(
        arguments: [
            ("no query", nil, "no state"),
            ("an empty query", "", "no state"),
            ("other parameters only", "lang=fr&x=1", "no state"),
            ("an empty state", "state=", "no state"),
            ("a state without =", "state", "no state"),
            ("a state twice", "state=\(state)&state=other", "more than once"),
            ("the same state twice", "state=\(state)&state=\(state)", "more than once"),
            ("an empty state before a real one", "state=&state=\(state)", "more than once"),
            ("a bad percent escape", "state=\(state)%zz", "not valid URL encoding"),
            ("a truncated percent escape", "state=\(state)%4", "not valid URL encoding"),
            ("bytes that are not UTF-8", "state=%FF\(state)", "not valid URL encoding"),
            ("257 bytes", "state=" + String(repeating: "s", count: 257), "longer than 256 bytes"),
            (
                "129 two-byte characters (258 bytes)", "state=" + String(repeating: "%C3%A9", count: 129),
                "longer than 256 bytes"
            ),
            ("a NUL", "state=\(state)%00", "control character"),
            ("a line feed", "state=%0A\(state)", "control character"),
            ("DEL", "state=\(state)%7F", "control character"),
        ] as [(String, String?, String)]
    )
    func refuses(name: String, query: String?, reason: String) {
        do {
            let state = try EndSessionCallbackQuery.parse(query)
            Issue.record("\(name) was accepted as \(state)")
        } catch {
            #expect(error.rule == "BR-6", "\(name)")
            #expect(error.description.contains(reason), "\(name): \(error.description)")
            #expect(!error.description.contains(Self.state), "\(name): the description echoes the state")
        }
    }

    @Test(
        arguments: [
            ("our state", "state=\(state)", state),
            ("among other parameters", "iss=https%3A%2F%2Fidp.example&state=\(state)&x", state),
            ("+ is a space", "state=a+b", "a b"),
            ("percent escapes", "state=%C3%A9t%C3%A9", "été"),
            ("one byte", "state=s", "s"),
            ("256 bytes", "state=" + String(repeating: "s", count: 256), String(repeating: "s", count: 256)),
            (
                "128 two-byte characters (256 bytes)", "state=" + String(repeating: "%C3%A9", count: 128),
                String(repeating: "é", count: 128)
            ),
        ] as [(String, String, String)]
    )
    func accepts(name: String, query: String, expected: String) throws {
        #expect(try EndSessionCallbackQuery.parse(query) == expected, "\(name)")
    }
}
