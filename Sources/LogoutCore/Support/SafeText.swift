/// Rules for untrusted text on its way to storage, error messages and log lines.
///
/// SQLite and C APIs end a string at NUL, so `alice\u0000x` would select alice (IN-14); a control
/// character in a log line can forge another line; an unbounded value lets a client decide how
/// much we write (SEC-4, SEC-6).
public enum SafeText {
    /// NUL, the other C0 controls and DEL: never allowed in an identifier.
    public static func hasControlCharacters(_ value: String) -> Bool {
        value.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    /// A printable, bounded copy: control characters become `?`, and anything past `limit`
    /// characters is cut and marked with `…`.
    public static func printable(_ value: String, limit: Int = 64) -> String {
        var result = ""
        var count = 0
        for scalar in value.unicodeScalars {
            if count == limit {
                result.append("…")
                break
            }
            result.unicodeScalars.append(isPrintable(scalar) ? scalar : "?")
            count += 1
        }
        return result
    }

    /// Controls, line and paragraph separators and invisible format characters (bidirectional
    /// overrides among them) could make a log line or message read as something else.
    static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.properties.generalCategory {
        case .control, .format, .lineSeparator, .paragraphSeparator, .surrogate, .unassigned, .privateUse:
            return false
        default:
            return true
        }
    }

    /// At most `limit` characters, for columns: stored strings are bounded whatever a client sends.
    public static func truncated(_ value: String, limit: Int) -> String {
        let prefix = value.prefix(limit)
        return prefix.endIndex == value.endIndex ? value : String(prefix)
    }
}

/// Quotes a value for an error message, truncating it: descriptions go back to callers and logs,
/// so they must stay short, printable and can never carry a whole token.
public func quoted(_ value: String, limit: Int = 64) -> String {
    "\"" + SafeText.printable(value, limit: limit) + "\""
}
