import Foundation
import Testing

/// systemd/logoutd-backup.{service,timer}: the daily `logoutd backup` the package ships, disabled.
/// It runs as the daemon's user in the daemon's sandbox, and writes where the restore of
/// docs/operations.md reads.
@Suite struct BackupUnitTests {
    static func text(_ name: String) -> String {
        RulesTests.text(SystemdUnitTests.root.appendingPathComponent("systemd/" + name))
    }

    /// `Key=value` lines of a unit, in order.
    static func directives(_ unit: String) -> [(String, String)] {
        unit.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    static func values(_ key: String, in unit: String) -> [String] {
        directives(unit).filter { $0.0 == key }.map(\.1)
    }

    /// What only the daemon needs: its description and ordering, its start and stop, its
    /// notifications, its credentials, its runtime folder (which a oneshot declaring it would
    /// remove when it ends), its file limit.
    static let daemonOnly: Set<String> = [
        "Description", "Documentation", "After", "Wants", "Type", "NotifyAccess", "WatchdogSec", "ExecStartPre",
        "ExecStart", "Restart", "RestartSec", "KillSignal",
        "TimeoutStartSec", "TimeoutStopSec", "LoadCredential", "RuntimeDirectory", "RuntimeDirectoryMode",
        "ConfigurationDirectory", "LimitNOFILE", "StateDirectory", "WantedBy",
    ]

    @Test func theServiceKeepsTheDaemonsSandboxAndUser() {
        let daemon = Self.directives(SystemdUnitTests.unit).filter { !Self.daemonOnly.contains($0.0) }
        let backup = Self.directives(Self.text("logoutd-backup.service"))
        let missing = daemon.filter { directive in !backup.contains { $0 == directive } }
        #expect(missing.isEmpty, "logoutd-backup.service lacks these directives of logoutd.service: \(missing)")
        #expect(Self.values("RuntimeDirectory", in: Self.text("logoutd-backup.service")).isEmpty)
    }

    @Test func itBacksUpTheRunningDaemonIntoTheStateFolderKeepingSeven() {
        let unit = Self.text("logoutd-backup.service")
        #expect(Self.values("Type", in: unit) == ["oneshot"])
        #expect(
            Self.values("ExecStart", in: unit) == [
                "/usr/bin/logoutd backup --config /etc/logoutd/logoutd.yaml --keep 7 /var/lib/logoutd/backups"
            ]
        )
        #expect(Self.values("StateDirectory", in: unit) == ["logoutd logoutd/backups"])
        #expect(Self.values("Requisite", in: unit) == ["logoutd.service"])
        #expect(Self.values("WantedBy", in: unit).isEmpty, "the timer starts it: a static unit")
        let restore = RulesTests.text(SystemdUnitTests.root.appendingPathComponent("docs/operations.md"))
        #expect(restore.contains("copy=$(ls backups/logoutd-*.sqlite3 | tail -n 1)"))
    }

    @Test func theTimerIsDailyAndCatchesUp() {
        let timer = Self.text("logoutd-backup.timer")
        #expect(Self.values("OnCalendar", in: timer) == ["daily"])
        #expect(Self.values("Persistent", in: timer) == ["true"])
        #expect(Self.values("WantedBy", in: timer) == ["timers.target"])
        let package = RulesTests.text(SystemdUnitTests.root.appendingPathComponent("scripts/package"))
        #expect(package.contains("systemd/logoutd-backup.service systemd/logoutd-backup.timer"))
        let postinst = RulesTests.text(SystemdUnitTests.root.appendingPathComponent("systemd/debian/postinst"))
        #expect(postinst.contains("for unit in logoutd.service logoutd-backup.timer"))
        #expect(!postinst.contains("deb-systemd-helper enable 'logoutd-backup"), "enabled only by the admin")
    }
}
