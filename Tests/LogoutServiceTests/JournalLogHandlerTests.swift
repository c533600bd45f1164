import Foundation
import Logging
import TestSupport
import Testing

@testable import LogoutService

/// journald's native protocol: metadata keys become fields operators filter on.
@Suite struct JournalLogHandlerTests {
    @Test(
        arguments: [
            ("event.id", "EVENT_ID"),
            ("rp.client_id", "RP_CLIENT_ID"),
            ("http.status", "HTTP_STATUS"),
            ("_SYSTEMD_UNIT", "SYSTEMD_UNIT"),  // trusted fields cannot be forged
            ("2fa", "FA"),
            ("message", nil),  // the message is ours, not a metadata key's
            ("é", nil),
        ] as [(String, String?)]
    )
    func fieldNames(key: String, expected: String?) {
        #expect(JournalLogHandler.fieldName(key) == expected)
    }

    @Test(arguments: [
        (Logger.Level.debug, 7), (.info, 6), (.notice, 5), (.warning, 4), (.error, 3), (.critical, 2),
    ])
    func priorities(level: Logger.Level, priority: Int) {
        #expect(JournalLogHandler.priority(level) == priority)
    }

    @Test func aValueWithANewlineUsesTheBinaryForm() {
        let entry = JournalLogHandler.entry(
            message: "m",
            level: .info,
            fields: ["reason": "two\nlines"],
            identifier: "logoutd",
            source: ("f.swift", "f()", 1)
        )
        let expected = Array("REASON\n".utf8) + [9, 0, 0, 0, 0, 0, 0, 0] + Array("two\nlines\n".utf8)
        #expect(entry.suffix(expected.count) == ArraySlice(expected))
        #expect(String(decoding: entry, as: UTF8.self).hasPrefix("MESSAGE=m\nPRIORITY=6\nSYSLOG_IDENTIFIER=logoutd\n"))
    }

    @Test func entriesReachTheSocketAndFallBackWhenItIsGone() async throws {
        let folder = TemporaryDirectory()
        let journal = try NotifySocket(address: folder.file("journal.sock"))
        defer { journal.stop() }
        let logger = Logger(label: "logoutd") {
            JournalLogHandler(label: $0, level: .info, socketPath: folder.file("journal.sock"))
        }
        logger.info("logout accepted", metadata: ["event.id": "42", "issuer": "idp"])
        logger.debug("not at this level")
        #expect(await eventually { journal.messages.count == 1 })
        let text = try #require(journal.messages.first?.text)
        #expect(
            text.contains("MESSAGE=logout accepted\n") && text.contains("EVENT_ID=42\n")
                && text.contains("ISSUER=idp\n")
        )
        // No journal socket: the line goes to standard error rather than nowhere (no throw, no crash).
        Logger(label: "x") { JournalLogHandler(label: $0, level: .info, socketPath: folder.file("none.sock")) }
            .info("fallback")
    }
}
