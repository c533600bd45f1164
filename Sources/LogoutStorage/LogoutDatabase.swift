import Foundation
import GRDB
import LogoutCore
import Synchronization

/// The one owner of the SQLite file: registry, log and durable queue — the embedded
/// `LogoutStore`.
///
/// One `DatabasePool` (WAL: readers never wait for the writer), migrations run in `init`, and one
/// writer. Every write that precedes an acknowledgement goes through the group committer with
/// `synchronous=FULL`, so an answer of 200 means the commit is on disk; the queue's claims and
/// outcomes go through it without the fsync (`DeliveryQueueStore` says why).
public final class LogoutDatabase: LogoutStore {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    let pool: DatabasePool
    let committer: GroupCommitter
    /// Every logout reads the RPs following every subject, every claim the enabled RPs.
    let followerCache = RegistryCache<RelyingParty>()
    let claimableCache = RegistryCache<StoredRelyingParty>()
    /// The deliveries this process claimed and has not recorded (`DeliveryLeases` says why not
    /// in their rows).
    let leases = DeliveryLeases()
    /// Above zero while fan-out plans may wait to be made into rows; zero only once none is
    /// left (`LogoutDatabase+FanOutPlans`). Counted from the file at start: a process that
    /// stopped or crashed may have left some.
    let pendingFanOutPlans: Atomic<Int>
    /// True while a task makes plans into rows (`expandFanOutPlansSoon`).
    let fanOutExpander = Atomic<Bool>(false)
    /// Plans written and plans made into rows since the start (`plansLagging`).
    let plansWritten: Atomic<Int>
    let plansMade = Atomic<Int>(0)
    let expandsPlansInBackground: Bool
    public let path: String
    /// The last migration applied ("v5"), for the start-up log line.
    public let schemaVersion: String
    /// The schema this open found, when it had to migrate a database an older release left
    /// ("v8"): the start-up line says the upgrade happened. Nil for a new or current file.
    public let upgradedFrom: String?

    /// - Parameter busyTimeout: how long a write waits for a lock held elsewhere before the
    ///   caller gets an error (and the notifier a 503).
    /// - Parameter expandsPlansInBackground: false leaves a logout's plan to the next reader of
    ///   the deliveries (tests that look at the file between the two).
    public init(path: String, busyTimeout: Duration = .seconds(2), expandsPlansInBackground: Bool = true) throws {
        self.expandsPlansInBackground = expandsPlansInBackground
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout.seconds)
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
            let found = try pool.read { try migrator.appliedMigrations($0) }
            // A file a newer logoutd migrated (a package downgraded): this code does not know its
            // schema, and writing to it could lose what the newer version keeps. Refused whole.
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw Superseded(
                    newest: try pool.read { db in
                        try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations").filter {
                            !migrator.migrations.contains($0)
                        }
                    }
                )
            }
            try migrator.migrate(pool)
            let version = try pool.read { try migrator.appliedMigrations($0) }.last ?? "?"
            schemaVersion = version
            let waiting =
                try pool.read {
                    try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM pending_fanouts WHERE problem IS NULL")
                } ?? 0
            pendingFanOutPlans = Atomic(waiting)
            plansWritten = Atomic(waiting)
            upgradedFrom = found.last.flatMap { $0 == version ? nil : $0 }
        } catch let superseded as Superseded {
            throw Failure(
                description: "the database \(path) was migrated by a newer logoutd (its migrations "
                    + "\(superseded.newest.joined(separator: ", ")) are unknown to this version): install that "
                    + "version again, or restore a backup taken before the upgrade (docs/operations.md)"
            )
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

    /// Folds the write-ahead log into the database and empties it, then closes: a stopped
    /// daemon leaves one file (plus its lock) of the size its data needs.
    public func close() throws {
        _ = try pool.writeWithoutTransaction { db in
            try db.checkpoint(.truncate)
        }
        try pool.close()
    }
}

extension Timestamp {
    /// The column value: integer milliseconds since 1970.
    var column: Int64 { millisecondsSince1970 }

    init(column: Int64) {
        self.init(millisecondsSince1970: column)
    }
}

extension Optional where Wrapped == Int64 {
    var timestamp: Timestamp? { map(Timestamp.init(column:)) }
}

/// JSON arrays of strings in a TEXT column.
enum StringList {
    static func encode(_ values: [String]) -> String {
        let data = (try? JSONEncoder().encode(values)) ?? Data("[]".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    /// An RP's lists are read with each of its rows, on every claim: the core's parser, not a
    /// `JSONDecoder` made per call. Anything but an array of strings reads as empty, as before.
    static func decode(_ text: String?) -> [String] {
        guard let text, text != "[]", let values = try? StrictJSONParser.parse(text.utf8).arrayValue else {
            return []
        }
        let strings = values.compactMap(\.stringValue)
        return strings.count == values.count ? strings : []
    }
}

/// Migrations this version does not know were applied to the file.
private struct Superseded: Error {
    var newest: [String]
}
