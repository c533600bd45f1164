import Logging
import LogoutCore
import Synchronization

/// Storing the outcomes of a pass: in one write, or one by one when that fails; each becomes the
/// event the loop feeds the machine, stored, dropped or failed.
extension QueueDispatcher {
    /// Stores outcomes in a task of its own: cancelling the attempts at the drain deadline must
    /// not cancel the writes of the outcomes they already had.
    func shielded(_ reports: [Kind.Report]) async {
        await Task { await self.store(reports) }.value
    }

    /// Stores a pass's outcomes in one write. When that write fails, each is tried alone, so one
    /// outcome the store refuses does not hold back the others.
    private func store(_ reports: [Kind.Report]) async {
        var events: [Event] = []
        do {
            let dropped = Set(try await queue.record(reports))
            events = reports.map { dropped.contains(worker.jobID($0)) ? self.dropped($0) : stored($0) }
        } catch  where reports.count > 1 {
            for report in reports { events.append(await store(alone: report)) }
        } catch {
            events = [failedToStore(reports[0], error)]
        }
        inbox.withLock { $0.append(contentsOf: events) }
        waker.signal()
    }

    private func store(alone report: Kind.Report) async -> Event {
        do {
            return try await queue.record([report]).isEmpty ? stored(report) : dropped(report)
        } catch {
            return failedToStore(report, error)
        }
    }

    /// The lease expires and the job is attempted again: at least once, never lost.
    private func failedToStore(_ report: Kind.Report, _ error: any Error) -> Event {
        logger.error(
            "cannot record a \(worker.singular) attempt",
            metadata: ["\(worker.singular).id": "\(worker.jobID(report))", "error": "\(error)"]
        )
        return .recorded(worker.jobID(report), stored: false)
    }

    /// The store did not take the outcome: the row was claimed again since (this replica stalled
    /// past its lease, another took the job over and its attempt decides), or it ended meanwhile
    /// (its RP removed, a SET acknowledged by a poll). Not the job's outcome, whatever it says
    /// . (Two outcomes of one job in one batch, under its old and new leases, are both
    /// said dropped here, though the new one is stored.)
    private func dropped(_ report: Kind.Report) -> Event {
        logger.warning(
            "\(worker.singular) outcome dropped: the job is no longer under the lease it was attempted under",
            metadata: ["\(worker.singular).id": "\(worker.jobID(report))"]
        )
        return .recorded(worker.jobID(report), stored: false)
    }

    private func stored(_ report: Kind.Report) -> Event {
        worker.stored(report)
        return .recorded(worker.jobID(report), stored: true)
    }
}
