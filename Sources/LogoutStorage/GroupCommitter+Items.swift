import GRDB

extension GroupCommitter {
    /// The batch's writes, each in a savepoint of the one transaction: one that fails (by its
    /// own error or the database's) rolls back alone, and the others commit. A savepoint that
    /// cannot be rolled back throws: the whole transaction is then rolled back, never committed
    /// with a failed item's changes in it.
    static func run(
        _ works: [@Sendable (Database) throws -> any Sendable],
        _ background: [@Sendable (Database) throws -> Void],
        results: inout [Result<any Sendable, any Error>],
        _ db: Database
    ) throws {
        for work in works {
            var itemResult: Result<any Sendable, any Error> = .failure(CancellationError())
            do {
                try inItemSavepoint(db) {
                    do {
                        itemResult = .success(try work(db))
                        return true
                    } catch let error as DatabaseError {
                        throw error
                    } catch {
                        itemResult = .failure(error)
                        return false
                    }
                }
            } catch let error as ItemNotRolledBack {
                throw error
            } catch {
                itemResult = .failure(error)
            }
            results.append(itemResult)
        }
        for item in background {
            // A background item that fails rolls back alone and is not retried.
            do {
                try inItemSavepoint(db) {
                    do {
                        try item(db)
                        return true
                    } catch {
                        return false
                    }
                }
            } catch let error as ItemNotRolledBack {
                throw error
            } catch {}
        }
    }

    /// A savepoint around one item, through statements prepared once: GRDB's `inSavepoint`
    /// compiles its `SAVEPOINT` and `RELEASE` again for every call (callgrind: 43,000
    /// instructions per logout).
    ///
    /// An item that ends the transaction itself (an I/O error, a full disk or an interrupt
    /// make SQLite roll it back whole) leaves none for the items after it: GRDB refuses their
    /// statements inside the transaction block, and the batch's COMMIT fails every member.
    static func inItemSavepoint(_ db: Database, _ body: () throws -> Bool) throws {
        try db.cachedStatement(sql: "SAVEPOINT item").execute()
        let keep: Bool
        do {
            keep = try body()
        } catch {
            try rollBackItem(db)
            throw error
        }
        if keep {
            do {
                try db.cachedStatement(sql: "RELEASE item").execute()
            } catch {
                try rollBackItem(db)
                throw error
            }
        } else {
            try rollBackItem(db)
        }
    }

    /// Takes the item's changes back; nothing to take back when its transaction is gone.
    private static func rollBackItem(_ db: Database) throws {
        guard db.isInsideTransaction else { return }
        do {
            try db.cachedStatement(sql: "ROLLBACK TO item").execute()
            try db.cachedStatement(sql: "RELEASE item").execute()
        } catch {
            throw ItemNotRolledBack(underlying: error)
        }
    }

    /// An item's changes could not be taken back: its batch must not commit.
    struct ItemNotRolledBack: Error, CustomStringConvertible {
        let underlying: any Error
        var description: String { "a failed write could not be rolled back: \(underlying)" }
    }
}
