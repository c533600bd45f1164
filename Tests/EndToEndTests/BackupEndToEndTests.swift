import Foundation
import GRDB
import LogoutCore
import NIOHTTP1
import TestSupport
import Testing

/// `logoutd backup PATH`: an online, consistent copy through the admin API, that a daemon can be
/// restored from.
@Suite(.serialized) struct BackupEndToEndTests {
    static let idpKey = TokenForge.newES256(kid: "backup-idp")

    @Test func anOnlineBackupIsConsistentAndRestores() async throws {
        let daemon = try DaemonProcess()
        try await daemon.start()
        let config = ["--config", daemon.configPath]
        try await daemon.registerIdP(Self.idpKey)
        let backup = daemon.folder.file("backup.sqlite3")

        // Logouts keep arriving while the copy is taken: each is answered 200 as usual.
        let posting = Task {
            var statuses: [HTTPResponseStatus] = []
            for index in 0..<40 {
                let token = try TokenForge.logoutToken(
                    issuer: "https://idp.example",
                    audience: "logoutd",
                    sub: "u\(index)",
                    sid: nil,
                    key: Self.idpKey
                )
                statuses.append(try await daemon.postLogout(token).status)
            }
            return statuses
        }
        var run = try await CLITests.run(["backup", backup] + config)
        #expect(run.status == 0 && run.output.contains("backup written: \(backup)"), "\(run.errors)")
        #expect(try await posting.value.allSatisfy { $0 == .ok })

        var readOnly = Configuration()
        readOnly.readonly = true
        let copy = try DatabaseQueue(path: backup, configuration: readOnly)
        let (integrity, issuers, events) = try await copy.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA integrity_check"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM issuers"),
                try Int.fetchOne(db, sql: "SELECT count(*) FROM events") ?? 0
            )
        }
        try copy.close()
        #expect(integrity == "ok" && issuers == 1 && events <= 40)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: daemon.folder.file("data"))
            .filter { $0.hasPrefix(".logoutd-backup-") }
        #expect(leftovers.isEmpty, "the daemon left its copy behind: \(leftovers)")

        run = try await CLITests.run(["backup", backup] + config)
        #expect(run.status == 64 && run.errors.contains("--force"))
        run = try await CLITests.run(["backup", "--force", "--json", backup] + config)
        #expect(run.status == 0 && run.json["bytes"]?.numberValue ?? 0 > 0, "\(run.errors)")

        // --keep N FOLDER (logoutd-backup.service): a dated copy, and only the newest N stay.
        let folder = daemon.folder.file("backups")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let older = ["logoutd-20260101T000000.000Z.sqlite3", "logoutd-20260102T000000.000Z.sqlite3"]
        for name in older + ["notes.txt"] {
            #expect(FileManager.default.createFile(atPath: folder + "/" + name, contents: Data("x".utf8)))
        }
        run = try await CLITests.run(["backup", "--keep", "2", folder] + config)
        #expect(run.status == 0 && run.output.contains("older backup deleted: \(folder)/\(older[0])"), "\(run.errors)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
        #expect(kept.count == 3 && kept[0] == older[1] && kept[2] == "notes.txt", "\(kept)")
        #expect(BackupRetention.isCopy(kept[1]) && kept[1] > older[1], "the new copy is named after its time: \(kept)")
        let written = try DatabaseQueue(path: folder + "/" + kept[1], configuration: readOnly)
        #expect(try await written.read { try Int.fetchOne($0, sql: "SELECT count(*) FROM issuers") } == 1)
        try written.close()
        run = try await CLITests.run(["backup", "--keep", "0", folder] + config)
        #expect(run.status == 64 && run.errors.contains("--keep"))
        run = try await CLITests.run(["backup", "--keep", "2", backup] + config)
        #expect(run.status == 64 && run.errors.contains("not a folder"))
        await daemon.stop()

        // Restore: a daemon started on the copy (with the keys folder, which holds the secrets key).
        let restored = try DaemonProcess()
        try FileManager.default.createDirectory(atPath: restored.folder.file("data"), withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: restored.folder.file("data/logoutd.sqlite3"))
        try FileManager.default.copyItem(atPath: daemon.folder.file("keys"), toPath: restored.folder.file("keys"))
        try await restored.start()
        run = try await CLITests.run(["issuers", "list", "--json", "--config", restored.configPath])
        #expect(run.json["issuers"]?.arrayValue?.first?["name"] == "idp", "\(run.output) \(run.errors)")
        run = try await CLITests.run(["events", "list", "--json", "--config", restored.configPath])
        #expect((run.json["events"]?.arrayValue?.count ?? 0) > 0)
        await restored.stop()
    }
}
