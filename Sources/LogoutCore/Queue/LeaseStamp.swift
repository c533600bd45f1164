/// Which claim holds a job's lease, as the store that made the claim names it.
///
/// A replica paused past its lease may wake and report an outcome after another replica has
/// claimed the job again, and even stored its own outcome: the owner alone cannot tell the two
/// leases apart once the new one has ended. The shared store keeps an outcome only under the
/// very lease it was attempted under, so a late one changes nothing. `nil` where one
/// process owns the queue (SQLite): no other claim can have taken the job.
public typealias LeaseStamp = Int64
