import Foundation
import Testing

/// systemd/logoutd.service promises behaviour the code must have, and a hardening score the
/// issue fixes at 1.3 or lower (`systemd-analyze security --offline=yes`).
@Suite struct SystemdUnitTests {
    static let root = RulesTests.root
    static var unit: String { RulesTests.text(root.appendingPathComponent("systemd/logoutd.service")) }
    static var config: String { RulesTests.text(root.appendingPathComponent("systemd/logoutd.yaml")) }

    /// `Key=value` lines of the unit, in order (a key may repeat).
    static var directives: [(String, String)] {
        unit.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), !line.hasPrefix("["), let equals = line.firstIndex(of: "=") else { return nil }
            return (String(line[..<equals]), String(line[line.index(after: equals)...]))
        }
    }

    static func values(_ key: String) -> [String] { directives.filter { $0.0 == key }.map(\.1) }

    /// A YAML scalar of the production config, by its indented key (`"  listen"` under `admin:`).
    static func configValue(section: String?, key: String) -> String? {
        var current: String?
        for line in config.split(separator: "\n") where !line.hasPrefix("#") {
            if !line.hasPrefix(" ") { current = line.hasSuffix(":") ? String(line.dropLast()) : nil }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            let isTopLevel = !line.hasPrefix(" ")
            guard (section == nil && isTopLevel) || (section == current && !isTopLevel),
                trimmed.hasPrefix(key + ":")
            else { continue }
            let value = trimmed.dropFirst(key.count + 1).split(separator: "#").first ?? ""
            return value.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func seconds(_ text: String) -> Double? {
        guard text.hasSuffix("s"), let value = Double(text.dropLast()) else { return nil }
        return value
    }

    @Test func notifyAndWatchdogAreWhatTheDaemonSends() {
        #expect(Self.values("Type") == ["notify"])
        #expect(Self.values("NotifyAccess") == ["main"])
        #expect(Self.values("WatchdogSec").count == 1)
        let service = RulesTests.text(
            Self.root.appendingPathComponent("Sources/LogoutService/Runtime/SystemdService.swift")
        )
        for state in ["READY=1", "WATCHDOG=1", "STOPPING=1"] {
            #expect(service.contains(#"notify(""# + state), "the daemon never sends \(state)")
        }
    }

    /// A fresh install (the Debian package) has no secret files: `LoadCredential=` of a missing
    /// file fails the start, so the unit loads only the signing-keys folder the package ships, and
    /// the admin token and secrets key are created by logoutd in its state folder, where the
    /// config names them for the CLI too. The drop-in the unit documents for credentials instead
    /// names ids the config loader reads.
    @Test func credentialsAreTheNamesTheConfigLoaderReads() {
        let loader = RulesTests.text(
            Self.root.appendingPathComponent("Sources/LogoutService/Config/LogoutdConfiguration+Loading.swift")
        )
        #expect(Self.values("LoadCredential") == ["signing-keys:/etc/logoutd/keys"])
        // Signing keys: every key file in the credentials directory, whatever its prefix.
        let keyring = RulesTests.text(
            Self.root.appendingPathComponent("Sources/LogoutService/Runtime/Components+Keys.swift")
        )
        #expect(keyring.contains("credentialsDirectory: config.credentialsDirectory"))
        for id in ["admin-token", "secrets.key"] {
            #expect(Self.unit.contains("#   LoadCredential=\(id):/etc/logoutd/\(id)"))
            #expect(loader.contains(#"credential(""# + id + #"")"#), "logoutd does not read the credential \(id)")
        }
        #expect(Self.configValue(section: "admin", key: "token_file")?.hasPrefix("/var/lib/logoutd/") == true)
        #expect(Self.configValue(section: "keys", key: "secrets_file") == nil)
    }

    /// The package's sysusers.d entry creates the user the unit runs as.
    @Test func theServiceUserIsTheSysusersOne() {
        let sysusers = RulesTests.text(Self.root.appendingPathComponent("systemd/logoutd.sysusers"))
        #expect(Self.values("User") == ["logoutd"])
        #expect(Self.values("Group") == ["logoutd"])
        #expect(Self.values("DynamicUser").isEmpty)
        #expect(sysusers.split(separator: "\n").contains { $0.hasPrefix("u logoutd ") })
    }

    @Test func directoriesAndTimeoutsMatchTheProductionConfig() throws {
        #expect(Self.values("RuntimeDirectory") == ["logoutd"])
        #expect(Self.configValue(section: "admin", key: "listen")?.hasPrefix("unix:/run/logoutd/") == true)
        #expect(Self.values("StateDirectory") == ["logoutd"])
        #expect(Self.configValue(section: "database", key: "path")?.hasPrefix("/var/lib/logoutd/") == true)
        #expect(Self.configValue(section: "keys", key: "dir")?.hasPrefix("/var/lib/logoutd/") == true)
        let stop = try #require(Self.values("TimeoutStopSec").first.flatMap(Self.seconds))
        let drain = try #require(Self.configValue(section: nil, key: "shutdown_timeout").flatMap(Self.seconds))
        #expect(stop > drain, "systemd would kill logoutd while it drains")
        #expect(Self.values("ExecStart") == ["/usr/bin/logoutd serve --config /etc/logoutd/logoutd.yaml"])
        #expect(Self.values("ExecStartPre").first?.contains("check-config --config /etc/logoutd/logoutd.yaml") == true)
    }

    @Test func theHardeningScoreIsAtMost1Point3() throws {
        let analyze = "/usr/bin/systemd-analyze"
        try #require(FileManager.default.isExecutableFile(atPath: analyze), "install systemd (.ci/run does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: analyze)
        process.arguments = [
            "security", "--offline=yes", Self.root.appendingPathComponent("systemd/logoutd.service").path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let line = try #require(text.split(separator: "\n").last { $0.contains("Overall exposure level") })
        print("systemd-analyze security --offline=yes systemd/logoutd.service: \(line)")
        let score = try #require(line.split(separator: " ").compactMap { Double($0) }.first)
        #expect(score <= 1.3, "\(line)")
    }
}
