/// `logoutd backup --keep N FOLDER` (the `logoutd-backup.service` timer's command): each copy is
/// named after the moment it was taken, so names sort as times do, and only the newest N copies
/// stay. Files that are not such copies (a `.partial` in progress, anything an admin put there)
/// are never chosen for deletion.
public enum BackupRetention {
    static let prefix = "logoutd-"
    static let suffix = ".sqlite3"

    /// `logoutd-20260131T120000.123Z.sqlite3`: UTC, to the millisecond.
    public static func name(at time: Timestamp) -> String {
        prefix + time.rfc3339.filter { $0 != "-" && $0 != ":" } + suffix
    }

    /// Whether `name` is one of the copies `name(at:)` makes.
    public static func isCopy(_ name: String) -> Bool {
        guard name.hasPrefix(prefix), name.hasSuffix(suffix) else { return false }
        // 20260131T120000.123Z: digits where digits go, and a real date and time.
        let stamp = Array(name.dropFirst(prefix.count).dropLast(suffix.count))
        guard stamp.count == 20, stamp[8] == "T", stamp[15] == ".", stamp[19] == "Z" else { return false }
        let digits = stamp[0..<8] + stamp[9..<15] + stamp[16..<19]
        guard digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
        return Timestamp(rfc3339: expand(stamp[...])) != nil
    }

    /// The copies among `names` beyond the newest `keep`, oldest first.
    public static func expired(_ names: [String], keep: Int) -> [String] {
        let copies = names.filter(isCopy).sorted()
        return Array(copies.dropLast(max(0, keep)))
    }

    /// `20260131T120000.123Z` → `2026-01-31T12:00:00.123Z`.
    private static func expand(_ stamp: ArraySlice<Character>) -> String {
        let c = Array(stamp)
        return String(c[0..<4]) + "-" + String(c[4..<6]) + "-" + String(c[6..<8]) + "T" + String(c[9..<11]) + ":"
            + String(c[11..<13]) + ":" + String(c[13...])
    }
}
