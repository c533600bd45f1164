import GRDB
import Synchronization

/// The waiting writes of the group commit, by kind, and whose turn it is.
extension GroupCommitter {
    /// How far a write must have gone when its caller is answered.
    enum Durability: Sendable {
        /// On disk (`synchronous=FULL`): an acknowledged logout, an admin's change.
        case onDisk
        /// In the WAL, so a crash of the process keeps it, and on disk at the next fsync
        /// (`synchronous=NORMAL`): a power cut or a crash of the system may lose it, which
        /// causes only a redelivery.
        case redeliverable
    }

    /// How many items of a batch ran before it gave way, set from inside its transaction.
    final class GaveWay: Sendable {
        private let done = Mutex<Int?>(nil)
        var at: Int? {
            get { done.withLock { $0 } }
            set { done.withLock { $0 = newValue } }
        }
    }

    enum Signal: Sendable {
        case done
        case lead
    }

    final class Pending: @unchecked Sendable {
        // `result` is written by the batch's commit before `continuation` is resumed, read after:
        // the resumption orders the accesses. The leader's own is written and read in its own
        // task (the commit's post-processing runs there, once the writer's queue has answered).
        let work: @Sendable (Database) throws -> any Sendable
        var result: Result<any Sendable, any Error>?
        var continuation: CheckedContinuation<Signal, Never>?

        init(work: @escaping @Sendable (Database) throws -> any Sendable) {
            self.work = work
        }
    }

    struct State {
        var onDisk: [Pending] = []
        var redeliverable: [Pending] = []
        var background: [@Sendable (Database) throws -> Void] = []
        var droppedBackground = 0
        var leading = false
        /// The kind of the last batch committed, so that the other kind goes next when both wait.
        var lastBatch = Durability.redeliverable

        mutating func append(_ pending: Pending, _ durability: Durability) {
            switch durability {
            case .onDisk: onDisk.append(pending)
            case .redeliverable: redeliverable.append(pending)
            }
        }

        /// The kind whose turn it is: the one not committed last, when both wait.
        var next: Durability? {
            switch (onDisk.isEmpty, redeliverable.isEmpty) {
            case (true, true): nil
            case (false, true): .onDisk
            case (true, false): .redeliverable
            case (false, false): lastBatch == .onDisk ? .redeliverable : .onDisk
            }
        }

        /// The first waiter of the kind whose turn it is, who leads next.
        var nextLeader: Pending? {
            switch next {
            case .onDisk: onDisk.first
            case .redeliverable: redeliverable.first
            case nil: nil
            }
        }

        mutating func take(_ durability: Durability, atMost limit: Int) -> [Pending] {
            lastBatch = durability
            switch durability {
            case .onDisk:
                defer { onDisk.removeFirst(min(limit, onDisk.count)) }
                return Array(onDisk.prefix(limit))
            case .redeliverable:
                defer { redeliverable.removeFirst(min(limit, redeliverable.count)) }
                return Array(redeliverable.prefix(limit))
            }
        }
    }
}
