import LogoutCore
import Testing

/// `logoutd backup --keep N FOLDER`: dated names that sort as times do; the oldest copies beyond
/// N go, nothing else in the folder does.
private let folder = [
    "logoutd-20260103T000000.000Z.sqlite3", "notes.txt", "logoutd-20260101T000000.000Z.sqlite3",
    "logoutd-20260104T000000.000Z.sqlite3.partial", "logoutd-20260102T000000.000Z.sqlite3",
    "logoutd-latest.sqlite3",
]

@Suite struct BackupRetentionTests {
    @Test func namesAreUTCToTheMillisecondAndSortAsTimesDo() {
        let time = Timestamp(millisecondsSince1970: 1_769_860_800_500)  // 2026-01-31T12:00:00.500Z
        #expect(BackupRetention.name(at: time) == "logoutd-20260131T120000.500Z.sqlite3")
        let later = BackupRetention.name(at: time + .milliseconds(250))
        #expect(BackupRetention.name(at: time) < later)
        #expect(BackupRetention.name(at: time + .seconds(86_400 * 400)) > later)
        #expect(BackupRetention.isCopy(later))
    }

    @Test(arguments: [
        ("logoutd-20260131T120000.123Z.sqlite3", true),
        ("logoutd-20260131T120000.123Z.sqlite3.partial", false),
        ("logoutd-20260131T120000Z.sqlite3", false),
        ("logoutd-2026013xT120000.123Z.sqlite3", false),
        ("logoutd-20261331T120000.123Z.sqlite3", false),  // month 13
        ("logoutd-latest.sqlite3", false),
        ("logoutd.sqlite3", false),
        ("notes.txt", false),
    ])
    func onlyItsOwnCopiesCount(name: String, isCopy: Bool) {
        #expect(BackupRetention.isCopy(name) == isCopy)
    }

    struct Row: Sendable {
        var keep: Int
        var expired: [String]
    }

    @Test(arguments: [
        Row(keep: 0, expired: [folder[2], folder[4], folder[0]]),
        Row(keep: 1, expired: [folder[2], folder[4]]),
        Row(keep: 2, expired: [folder[2]]),
        Row(keep: 3, expired: []),
        Row(keep: 7, expired: []),
    ])
    func theOldestBeyondKeepGo(_ row: Row) {
        #expect(BackupRetention.expired(folder, keep: row.keep) == row.expired)
    }
}
