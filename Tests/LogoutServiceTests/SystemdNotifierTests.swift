import Foundation
import TestSupport
import Testing

@testable import LogoutService

/// The sd_notify protocol as systemd(1) defines it: `$NOTIFY_SOCKET` is a path or an abstract
/// `@name`; `WATCHDOG_USEC` counts only for the process `WATCHDOG_PID` names.
@Suite struct SystemdNotifierTests {
    @Test(arguments: [
        ([:], false),
        (["NOTIFY_SOCKET": ""], false),
        (["NOTIFY_SOCKET": "relative/socket"], false),
        (["NOTIFY_SOCKET": "/run/systemd/notify"], true),
        (["NOTIFY_SOCKET": "@abstract"], true),
        (["NOTIFY_SOCKET": "/" + String(repeating: "x", count: 120)], false),
    ])
    func notifySocket(environment: [String: String], expected: Bool) {
        #expect((SystemdNotifier(environment: environment) != nil) == expected)
    }

    @Test(
        arguments: [
            ([:], nil),
            (["WATCHDOG_USEC": "30000000"], Duration.seconds(30)),
            (["WATCHDOG_USEC": "0"], nil),
            (["WATCHDOG_USEC": "soon"], nil),
            (["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "42"], Duration.seconds(2)),
            (["WATCHDOG_USEC": "2000000", "WATCHDOG_PID": "43"], nil),
        ] as [([String: String], Duration?)]
    )
    func watchdog(environment: [String: String], expected: Duration?) {
        #expect(SystemdNotifier.watchdogInterval(environment: environment, pid: 42) == expected)
    }

    @Test func messagesReachAnAbstractSocket() async throws {
        let address = "@logoutd-test-\(UUID().uuidString)"
        let systemd = try NotifySocket(address: address)
        defer { systemd.stop() }
        let notifier = try #require(SystemdNotifier(environment: ["NOTIFY_SOCKET": address]))
        try notifier.send("READY=1\nSTATUS=accepting logouts")
        #expect(await eventually { systemd.messages(with: "READY=1").count == 1 })
        #expect(systemd.messages.first?.text == "READY=1\nSTATUS=accepting logouts")
    }

    @Test func aMissingSocketIsAnError() {
        let notifier = SystemdNotifier(environment: ["NOTIFY_SOCKET": "/nonexistent/notify.sock"])
        #expect(throws: SystemdNotifier.SendError.self) { try notifier?.send("READY=1") }
    }
}
