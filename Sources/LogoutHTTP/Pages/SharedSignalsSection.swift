import LogoutAdminAPI
import LogoutCore

/// The delivery log page's Shared Signals card: each stream of our receivers with its latest
/// SETs (held, pending, delivered, failed; push attempts and the receiver's last answer), and
/// our own streams at issuers' transmitters with their state and last error. Built from the
/// same admin operations as `logoutd ssf streams` and `logoutd issuers show`.
struct SharedSignalsSection {
    struct SETView {
        var jti: String
        var tells: String
        var status: String
        var statusClass: String
        var attempts: String
        var lastStatus: String
        var detail: String
        var when: String
    }

    struct StreamView {
        var id: String
        var receiver: String
        var delivery: String
        var status: String
        var statusClass: String
        var summary: String
        var sets: [SETView]
    }

    struct UpstreamView {
        var issuer: String
        var delivery: String
        var state: String
        var stateClass: String
        var streamID: String
        var lastError: String
        var when: String
    }

    // Stored, not computed: Mustache reads values by reflection.
    var streams: [StreamView]
    var upstreams: [UpstreamView]
    var hasStreams: Bool
    var hasUpstreams: Bool
    var hasAny: Bool

    init(streams: [StreamView], upstreams: [UpstreamView]) {
        self.streams = streams
        self.upstreams = upstreams
        hasStreams = !streams.isEmpty
        hasUpstreams = !upstreams.isEmpty
        hasAny = hasStreams || hasUpstreams
    }

    /// The most streams shown, and SETs shown per stream (of the latest `counted`, summed up).
    static let maximumStreams = 20
    static let setsShown = 5
    static let counted = 100

    static func load(
        _ operations: any AdminOperations,
        issuers: IssuerList,
        now: Timestamp
    ) async throws
        -> SharedSignalsSection
    {
        var streams: [StreamView] = []
        for stream in try await operations.streams(receiver: nil).streams.prefix(maximumStreams) {
            let sets = try await operations.securityEvents(streamID: stream.streamID, limit: counted).sets
            streams.append(view(stream, sets: sets, now: now))
        }
        let upstreams = issuers.issuers.compactMap { issuer in
            issuer.ssf.map { view($0, issuer: issuer.name, now: now) }
        }
        return SharedSignalsSection(streams: streams, upstreams: upstreams)
    }

    static func view(_ stream: StreamResource, sets: [SecurityEventResource], now: Timestamp) -> StreamView {
        var counts: [String: Int] = [:]
        for set in sets { counts[set.status, default: 0] += 1 }
        let summary =
            sets.isEmpty
            ? "no SETs"
            : ["held", "pending", "delivered", "failed"].compactMap { status in
                counts[status].map { "\($0) \(status)" }
            }.joined(separator: " · ") + (sets.count == counted ? " of the latest \(counted)" : "")
        return StreamView(
            id: stream.streamID,
            receiver: stream.receiver,
            delivery: stream.deliveryMethod == SSFDeliveryMethod.push.rawValue ? "push" : "poll",
            status: stream.breaker == "closed" ? stream.status : stream.status + " · breaker " + stream.breaker,
            statusClass: stream.breaker != "closed"
                ? "bad" : (stream.status == "enabled" ? "ok" : (stream.status == "paused" ? "warn" : "idle")),
            summary: summary,
            sets: sets.prefix(setsShown).map { set in
                SETView(
                    jti: set.jti,
                    tells: set.eventID.map { "event \($0)" } ?? "verification",
                    status: set.status,
                    statusClass: statusClass(set.status),
                    attempts: String(set.attempts),
                    lastStatus: set.lastStatusCode.map(String.init) ?? "—",
                    detail: set.error ?? "",
                    when: RelativeTime.describe(set.finishedAt ?? set.createdAt, now: now)
                )
            }
        )
    }

    static func view(_ upstream: UpstreamStreamView, issuer: String, now: Timestamp) -> UpstreamView {
        UpstreamView(
            issuer: issuer,
            delivery: upstream.delivery,
            state: upstream.state,
            stateClass: upstream.lastError != nil ? "bad" : (upstream.state == "verified" ? "ok" : "warn"),
            streamID: upstream.streamID ?? "—",
            lastError: upstream.lastError ?? "",
            when: upstream.lastErrorAt.map { RelativeTime.describe($0, now: now) }
                ?? upstream.lastPolledAt.map { "polled " + RelativeTime.describe($0, now: now) } ?? "—"
        )
    }

    static func statusClass(_ status: String) -> String {
        switch status {
        case "delivered": "ok"
        case "failed": "bad"
        case "pending": "warn"
        default: "idle"
        }
    }
}
