import Foundation
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// Under systemd the daemon logs to journald's native socket (a fake one here): one entry per
/// rejected logout, summaries of accepted logouts and of delivery outcomes (ADM-4), with the ids
/// as fields, never a token.
@Suite(.serialized) struct JournalEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "journal-idp")

    /// `FIELD=value` lines of an entry (values without a newline, which ours are).
    static func fields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        for line in text.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            fields[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        return fields
    }

    @Test func logoutsAndDeliveriesAreJournalEntriesWithFields() async throws {
        let rp = try await TestServer.start()
        let daemon = try DaemonProcess()
        let journal = try NotifySocket(address: daemon.folder.file("journal.sock"))
        defer { journal.stop() }
        daemon.environment = ["JOURNAL_STREAM": "8:4242", "LOGOUTD_TEST_JOURNAL_SOCKET": journal.address]
        try await daemon.start()
        try await daemon.registerIdP(Self.idpKey)
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/rps",
            ["client_id": "app", "backchannel_logout_uri": .string(rp.url + "/bcl")]
        )
        _ = try await daemon.admin(
            .POST,
            "/admin/v1/sessions",
            ["issuer": "https://idp.example", "sub": "alice", "sid": "s1", "client_id": "app"]
        )
        let token = try TokenForge.logoutToken(
            issuer: "https://idp.example",
            audience: "logoutd",
            sub: "alice",
            sid: "s1",
            key: Self.idpKey
        )
        #expect(try await daemon.postLogout(token).status == .ok)
        let forged = token.dropLast(4) + "AAAA"
        #expect(try await daemon.postLogout(String(forged)).status == .badRequest)
        #expect(await eventually { rp.received.count == 1 })

        let entries = { journal.messages.map { Self.fields($0.text) } }
        let rejected = try #require(entries().first { $0["MESSAGE"] == "logout token rejected" })
        #expect(rejected["RULE"] == "IN-4" && rejected["PRIORITY"] == "5")
        // Successes are summarized (ADM-4): per issuer and per RP when their window closes, at the
        // latest when the daemon stops; each one's own line is at debug, below this level.
        await daemon.stop()
        let accepted = try #require(entries().first { $0["MESSAGE"] == "logouts accepted" })
        #expect(
            accepted["PRIORITY"] == "6" && accepted["ISSUER"] == "idp" && accepted["SYSLOG_IDENTIFIER"] == "logoutd"
        )
        #expect(accepted["COUNT"] == "1" && accepted["DELIVERIES"] == "1")
        let delivered = try #require(entries().first { $0["MESSAGE"] == "deliveries delivered" })
        #expect(delivered["RP_CLIENT_ID"] == "app" && delivered["COUNT"] == "1" && delivered["PRIORITY"] == "6")
        #expect(!entries().contains { $0["MESSAGE"] == "delivered" || $0["MESSAGE"] == "logout accepted" })

        // Never a token: neither the one accepted nor the forged one, nor their signatures.
        let signature = String(token.split(separator: ".")[2])
        for message in journal.messages {
            #expect(!message.text.contains(signature) && !message.text.contains(token.prefix(40)))
        }
        #expect(!daemon.log.contains("logouts accepted"), "entries went to standard error too")
        await rp.stop()
    }
}
