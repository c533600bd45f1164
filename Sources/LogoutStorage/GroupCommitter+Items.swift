import GRDB

extension GroupCommitter {
    /// The batch's writes, each in a savepoint of the one transaction: one that fails (by its
    /// own error or the database's) rolls back alone, and the others commit. A savepoint that
    /// cannot be rolled back throws: the whole transaction is then rolled back, never committed
    /// with a failed item's changes in it. `giveWay` is asked after each item but the last, with
    /// the number done, whether to stop there: the items left and the background items do not
    /// run, and have no result.
    static func run(
        _ works: [@Sendable (Database) throws -> any Sendable],
        _ background: [@Sendable (Database) throws -> Void],
        results: inout [Result<any Sendable, any Error>],
        _ db: Database,
        giveWay: (Int) -> Bool = { _ in false }
    ) throws {
        // Outside a transaction, `SAVEPOINT` would open and `RELEASE` commit one per item.
        precondition(db.isInsideTransaction, "the group commit's items run inside its transaction")
        for work in works {
            if !results.isEmpty && giveWay(results.count) { return }
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
    /// compiles its `SAVEPOINT` and `RELEASE` again for every call (callgrind: 25,000 of the
    /// 43,000 instructions a logout's savepoint cost).
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
            do {
                try rollBackItem(db)
            } catch var notRolledBack as ItemNotRolledBack {
                notRolledBack.itemError = error
                throw notRolledBack
            }
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

    /// With no transaction left (SQLite rolled it back whole), there is nothing of the item's to
    /// take back, and `ROLLBACK TO` would fail for want of the savepoint.
    private static func rollBackItem(_ db: Database) throws {
        guard db.isInsideTransaction else { return }
        do {
            try db.cachedStatement(sql: "ROLLBACK TO item").execute()
            try db.cachedStatement(sql: "RELEASE item").execute()
        } catch {
            throw ItemNotRolledBack(underlying: error)
        }
    }

    /// An item's changes could not be taken back: its batch must not commit. Carries the item's
    /// own error too, which is what an operator needs to find the cause.
    struct ItemNotRolledBack: Error, CustomStringConvertible {
        let underlying: any Error
        var itemError: (any Error)?
        var description: String {
            "a failed write could not be rolled back: \(underlying)"
                + (itemError.map { " (the write failed with: \($0))" } ?? "")
        }
    }
}
