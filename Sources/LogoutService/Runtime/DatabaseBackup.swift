import Foundation
import Logging
import LogoutAdminAPI
import LogoutCore
import LogoutHTTP
import NIOPosix

#if canImport(Glibc)
    import Glibc
#endif

/// `logoutd backup`: the store copies itself next to the database (the one folder the service
/// may write under systemd), the copy is opened and its name removed at once, and the open file
/// is streamed to the admin client: nothing is left behind, even if the client goes away.
struct DatabaseBackup: Sendable {
    let store: any LogoutStore
    let databasePath: String
    let now: @Sendable () -> Timestamp
    let logger: Logger

    static let prefix = ".logoutd-backup-"

    var folder: String { URL(fileURLWithPath: databasePath).deletingLastPathComponent().path }

    func snapshot() async throws -> DatabaseSnapshot {
        let takenAt = now()
        let path = folder + "/" + Self.prefix + UUID().uuidString + ".sqlite3"
        defer { unlink(path) }
        do {
            try await store.snapshot(into: path)
        } catch {
            logger.error("backup failed", metadata: ["error": "\(error)"])
            throw AdminError(.unavailable, "temporarily_unavailable", "the backup could not be written: \(error)")
        }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw AdminError(
                .unavailable,
                "temporarily_unavailable",
                "the backup could not be read: \(String(cString: strerror(errno)))"
            )
        }
        // The size from the open file (the copy is ours and complete), its offset back at 0.
        let size = Int(lseek(descriptor, 0, SEEK_END))
        guard size >= 0, lseek(descriptor, 0, SEEK_SET) == 0 else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            throw AdminError(.unavailable, "temporarily_unavailable", "the backup could not be read: \(reason)")
        }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        logger.notice("backup taken", metadata: ["bytes": "\(size)"])
        return DatabaseSnapshot(
            size: size,
            takenAt: takenAt,
            read: { count in
                try await NIOThreadPool.singleton.runIfActive { Array(try handle.read(upToCount: count) ?? Data()) }
            },
            close: { try? handle.close() }
        )
    }

    /// Copies a crash left behind (the daemon stopped between the copy and its unlink).
    func removeLeftovers() {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? []
        for name in names where name.hasPrefix(Self.prefix) {
            unlink(folder + "/" + name)
        }
    }
}
