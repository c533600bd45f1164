import Foundation
import GRDB
import LogoutCore

/// The one owner of the SQLite file: registry, log and durable queue.
///
/// One `DatabasePool` (WAL: readers never wait for the writer), migrations run in `init`, and one
/// writer. Every write that precedes an acknowledgement goes through the group committer with
/// `synchronous=FULL`, so an answer of 200 means the commit is on disk.
public final class LogoutDatabase: Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let pool: DatabasePool
    let committer: GroupCommitter
    public let path: String

    /// - Parameter busyTimeout: how long a write waits for a lock held elsewhere before the
    ///   caller gets an error (and the notifier a 503).
    public init(path: String, busyTimeout: Double = 2) throws {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.foreignKeysEnabled = true
        configuration.label = "logoutd"
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = FULL")
        }
        let directory = (path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(
                atPath: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            var migrator = DatabaseMigrator()
            Migrations.register(in: &migrator)
            try migrator.migrate(pool)
        } catch {
            throw Failure(description: "cannot open the database \(path): \(error)")
        }
        self.path = path
        committer = GroupCommitter(writer: pool)
    }

    /// A cheap check for `/readyz`: the file answers a read.
    public func isReadable() async -> Bool {
        (try? await pool.read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1
    }

    public func close() throws {
        try pool.close()
    }
}

extension Date {
    var milliseconds: Int64 {
        Int64((timeIntervalSince1970 * 1000).rounded())
    }

    init(milliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(milliseconds) / 1000)
    }
}

extension Double {
    /// Seconds since 1970 as storage milliseconds, clamped so no value can trap.
    var storageMilliseconds: Int64 {
        let ms = (self * 1000).rounded()
        guard ms.isFinite else { return ms > 0 ? Int64.max / 2 : 0 }
        return Int64(max(min(ms, Double(Int64.max / 2)), Double(Int64.min / 2)))
    }
}

extension Optional where Wrapped == Int64 {
    var date: Date? { map(Date.init(milliseconds:)) }
}

/// JSON arrays of strings in a TEXT column.
enum StringList {
    static func encode(_ values: [String]) -> String {
        let data = (try? JSONEncoder().encode(values)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func decode(_ text: String?) -> [String] {
        guard let text, let values = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else { return [] }
        return values
    }
}
