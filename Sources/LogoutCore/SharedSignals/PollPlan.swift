/// One SET held for a poll stream until the receiver acknowledges it (SSF-4).
public struct HeldSET: Sendable, Equatable {
    public var jti: String
    /// The signed SET, compact serialization.
    public var token: String

    public init(jti: String, token: String) {
        self.jti = jti
        self.token = token
    }
}

/// What one poll does (RFC 8936 §2.2–§2.4), decided from the stream's held SETs, oldest first.
///
/// Acknowledged SETs are delivered and leave the stream; SETs reported in `setErrs` leave it as
/// failed with the receiver's reason (sending them again would fail again). The rest stay held
/// until acknowledged: a SET returned and not acknowledged is returned again by the next poll,
/// so a receiver that crashes mid-batch loses nothing (it removes duplicates by `jti`). With
/// nothing to return and `returnImmediately` false, the shell waits at most `maximumWait` for a
/// new SET, then plans again with `request.afterWaiting`.
public struct PollPlan: Sendable, Equatable {
    public struct Failure: Sendable, Equatable {
        public var jti: String
        public var error: SETErrorBody

        public init(jti: String, error: SETErrorBody) {
            self.jti = jti
            self.error = error
        }
    }

    /// Held `jti`s the receiver acknowledged: record them delivered. Acknowledgements of SETs we
    /// do not hold (acknowledged before, or never ours) change nothing.
    public var acknowledged: [String]
    /// Held SETs the receiver refused: record them failed with the error.
    public var failed: [Failure]
    public var returned: [HeldSET]
    public var moreAvailable: Bool
    /// Set for a long poll with nothing to return.
    public var wait: Duration?

    public static func plan(request: PollRequest, held: [HeldSET], maximumWait: Duration) -> PollPlan {
        let heldIDs = Set(held.map(\.jti))
        let acknowledged = request.acknowledged.filter { heldIDs.contains($0) }
        let failed = held.compactMap { set in request.errors[set.jti].map { Failure(jti: set.jti, error: $0) } }
        let finished = Set(acknowledged).union(failed.map(\.jti))
        let remaining = held.filter { !finished.contains($0.jti) }
        let returned = Array(remaining.prefix(max(0, request.maxEvents)))
        let waits = remaining.isEmpty && !request.returnImmediately && request.maxEvents > 0
        return PollPlan(
            acknowledged: acknowledged,
            failed: failed,
            returned: returned,
            moreAvailable: remaining.count > returned.count,
            wait: waits ? maximumWait : nil
        )
    }

    /// The answer to send once the plan's writes are done.
    public var response: PollResponse {
        PollResponse(sets: returned, moreAvailable: moreAvailable)
    }
}

/// A poll's answer (RFC 8936 §2.3): `{"sets":{jti: SET}, "moreAvailable": bool}`.
public struct PollResponse: Sendable, Equatable {
    public var sets: [HeldSET]
    public var moreAvailable: Bool

    public init(sets: [HeldSET], moreAvailable: Bool) {
        self.sets = sets
        self.moreAvailable = moreAvailable
    }

    /// `moreAvailable` is always written, `false` included, so receivers need not know that
    /// absent means false.
    public var json: JSONValue {
        [
            "sets": .object(
                Dictionary(sets.map { ($0.jti, JSONValue.string($0.token)) }, uniquingKeysWith: { a, _ in a })
            ),
            "moreAvailable": .bool(moreAvailable),
        ]
    }
}
