import GRDB
import Synchronization

/// Lists of RPs read on hot paths (every logout its followers, every claim the enabled RPs),
/// kept as decoded with the registry version (v15) they were read at. The registry changes
/// rarely; decoding a row cost 12,000 instructions, inside the writer's transaction.
///
/// The version is read in the caller's transaction, before the list: a list read under the
/// same version as the one cached is the same list, whoever changed the table in between.
final class RegistryCache<Element: Sendable>: Sendable {
    private let entry = Mutex<(version: Int64, elements: [Element])?>(nil)

    /// The cached list when the registry is still at its version, else `read`'s, cached. Two
    /// callers racing may store in either order: an older entry only costs the next caller a
    /// read, since an entry's list is always the one read with its version.
    func elements(_ db: Database, read: (Database) throws -> [Element]) throws -> [Element] {
        let version = try Int64.fetchOne(
            db.cachedStatement(sql: "SELECT version FROM registry_version WHERE id = 1")
        )
        if let version, let cached = entry.withLock({ $0 }), cached.version == version {
            return cached.elements
        }
        let elements = try read(db)
        if let version { entry.withLock { $0 = (version, elements) } }
        return elements
    }
}
