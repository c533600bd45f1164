import ArgumentParser
import Foundation
import LogoutAdminClient
import LogoutCore

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write an online, consistent copy of the daemon's database to PATH.",
        discussion: """
            The running daemon copies its database (SQLite VACUUM INTO: one consistent moment,
            while logouts keep being accepted) and streams it here; PATH appears only once the
            whole copy is written and synced. The secrets key and the signing keys are not in it:
            back them up apart. To restore, stop logoutd and put the copy at database.path.
            With --keep N, PATH is a folder: the copy is named after its time
            (logoutd-20260131T120000.123Z.sqlite3) and the oldest such copies beyond N are
            deleted once it is written; nothing else in the folder is touched.
            Examples:
              logoutd backup /var/backups/logoutd/logoutd-$(date +%F).sqlite3
              logoutd backup --force /var/backups/logoutd/latest.sqlite3
              logoutd backup --keep 7 /var/lib/logoutd/backups    # logoutd-backup.service
            """
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Where to write the copy (with --keep, the folder to write it in).") var path: String
    @Flag(help: "Replace PATH if it exists.") var force = false
    @Option(help: "PATH is a folder of dated copies: keep the newest N (1 or more), delete the older ones.")
    var keep: Int?

    func run() async throws {
        if let keep {
            guard keep >= 1 else { throw CLIFailure(message: "--keep must be 1 or more", status: 64).exit() }
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue else {
                throw CLIFailure(
                    message: "\(path) is not a folder (with --keep, PATH is the folder of copies)",
                    status: 64
                )
                .exit()
            }
        }
        let path =
            keep == nil ? path : (path as NSString).appendingPathComponent(BackupRetention.name(at: Timestamp(Date())))
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIFailure(message: "\(path) exists; remove it or pass --force", status: 64).exit()
        }
        try await admin.withClient { client in
            let started = ContinuousClock.now
            let bytes = try await client.downloadBackup(to: path)
            let seconds = started.duration(to: .now)
            var deleted: [String] = []
            if let keep {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: self.path)) ?? []
                for name in BackupRetention.expired(names, keep: keep) {
                    let old = (self.path as NSString).appendingPathComponent(name)
                    do {
                        try FileManager.default.removeItem(atPath: old)
                        deleted.append(old)
                    } catch {
                        throw CLIFailure(
                            message: "backup written: \(path), but cannot delete \(old): \(error)",
                            status: 1
                        )
                    }
                }
            }
            if admin.json {
                let removed = deleted.map { #""\#($0)""# }.joined(separator: ", ")
                print(#"{"path": "\#(path)", "bytes": \#(bytes), "deleted": [\#(removed)]}"#)
            } else {
                print(
                    "backup written: \(path) (\(bytes) bytes in \(seconds.formatted(.units(allowed: [.seconds, .milliseconds]))))"
                )
                for old in deleted { print("older backup deleted: \(old)") }
            }
        }
    }
}
