import ArgumentParser
import Foundation
import LogoutAdminClient

struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write an online, consistent copy of the daemon's database to PATH.",
        discussion: """
            The running daemon copies its database (SQLite VACUUM INTO: one consistent moment,
            while logouts keep being accepted) and streams it here; PATH appears only once the
            whole copy is written and synced. The secrets key and the signing keys are not in it:
            back them up apart. To restore, stop logoutd and put the copy at database.path.
            Examples:
              logoutd backup /var/backups/logoutd/logoutd-$(date +%F).sqlite3
              logoutd backup --force /var/backups/logoutd/latest.sqlite3
            """
    )
    @OptionGroup var admin: AdminOptions
    @Argument(help: "Where to write the copy.") var path: String
    @Flag(help: "Replace PATH if it exists.") var force = false

    func run() async throws {
        if FileManager.default.fileExists(atPath: path) && !force {
            throw CLIFailure(message: "\(path) exists; remove it or pass --force", status: 64).exit()
        }
        try await admin.withClient { client in
            let started = ContinuousClock.now
            let bytes = try await client.downloadBackup(to: path)
            let seconds = started.duration(to: .now)
            if admin.json {
                print(#"{"path": "\#(path)", "bytes": \#(bytes)}"#)
            } else {
                print(
                    "backup written: \(path) (\(bytes) bytes in \(seconds.formatted(.units(allowed: [.seconds, .milliseconds]))))"
                )
            }
        }
    }
}
