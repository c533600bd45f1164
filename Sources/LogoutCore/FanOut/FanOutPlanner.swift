/// A logout to fan out, whichever way it arrived (a token or an admin request).
public struct LogoutRequest: Sendable, Equatable {
    /// Where it came from, for the log: the issuer's name, or `admin`.
    public var source: String
    /// The registered issuer whose sessions end (SEC-5: sessions belong to a registration).
    public var issuerName: String
    public var sub: String?
    public var sid: String?

    public init(source: String, issuerName: String, sub: String?, sid: String?) {
        self.source = source
        self.issuerName = issuerName
        self.sub = sub
        self.sid = sid
    }
}

/// One delivery the fan-out decided on.
public struct PlannedDelivery: Sendable, Equatable {
    public var clientID: String
    /// RP-facing subject and session ids.
    public var sub: String?
    public var sid: String?
    /// `nil` for a delivery to attempt; a reason for one recorded as skipped.
    public var skipReason: String?

    public init(clientID: String, sub: String?, sid: String?, skipReason: String? = nil) {
        self.clientID = clientID
        self.sub = sub
        self.sid = sid
        self.skipReason = skipReason
    }
}

/// Decides which RPs hear about a logout and how each is addressed (rulebook RES-2 to RES-4).
///
/// Storage selects the candidate sessions (RES-2) and the RPs involved; the decisions are here so
/// that every rule has a table-driven test.
public enum FanOutPlanner {
    public static func plan(
        request: LogoutRequest,
        sessions: [Session],
        relyingParties: [String: RelyingParty],
        followers: [RelyingParty]
    ) -> [PlannedDelivery] {
        var planned: [PlannedDelivery] = []
        var seen = Set<DeliveryKey>()
        var coveredRPs = Set<String>()

        for session in sessions.sorted(by: { ($0.clientID, $0.id) < ($1.clientID, $1.id) }) {
            guard let rp = relyingParties[session.clientID] else { continue }
            coveredRPs.insert(rp.clientID)
            let delivery: PlannedDelivery
            if let rpSid = session.rpSid {
                delivery = PlannedDelivery(clientID: rp.clientID, sub: session.rpSub, sid: rpSid)
            } else if rp.sessionRequired {
                delivery = PlannedDelivery(
                    clientID: rp.clientID,
                    sub: session.rpSub,
                    sid: nil,
                    skipReason: "the RP requires sid and the session has none"
                )
            } else {
                delivery = PlannedDelivery(clientID: rp.clientID, sub: session.rpSub, sid: nil)
            }
            append(disabledAware(delivery, rp: rp), to: &planned, seen: &seen)
        }

        for rp in followers.sorted(by: { $0.clientID < $1.clientID })
        where rp.subjects == .all && rp.issuers.contains(request.issuerName) && !coveredRPs.contains(rp.clientID) {
            let delivery: PlannedDelivery
            if let sub = request.sub {
                if rp.sessionRequired {
                    delivery = PlannedDelivery(
                        clientID: rp.clientID,
                        sub: sub,
                        sid: nil,
                        skipReason: "the RP requires sid and it follows subjects, not sessions"
                    )
                } else {
                    delivery = PlannedDelivery(clientID: rp.clientID, sub: sub, sid: nil)
                }
            } else {
                delivery = PlannedDelivery(
                    clientID: rp.clientID,
                    sub: nil,
                    sid: nil,
                    skipReason: "the logout names no sub, and the RP has no registered session"
                )
            }
            append(disabledAware(delivery, rp: rp), to: &planned, seen: &seen)
        }
        return planned
    }

    private struct DeliveryKey: Hashable {
        let clientID: String
        let sub: String?
        let sid: String?
    }

    private static func disabledAware(_ delivery: PlannedDelivery, rp: RelyingParty) -> PlannedDelivery {
        guard !rp.enabled, delivery.skipReason == nil else { return delivery }
        var skipped = delivery
        skipped.skipReason = "the RP is disabled"
        return skipped
    }

    private static func append(
        _ delivery: PlannedDelivery,
        to planned: inout [PlannedDelivery],
        seen: inout Set<DeliveryKey>
    ) {
        // One delivery per (RP, sid) when the sid is known, otherwise per (RP, sub) (RES-3).
        let key = DeliveryKey(
            clientID: delivery.clientID,
            sub: delivery.sid == nil ? delivery.sub : nil,
            sid: delivery.sid
        )
        if seen.insert(key).inserted {
            planned.append(delivery)
        }
    }
}
