import Foundation
import LogoutCore
import TestSupport
import Testing

/// The SETs of push streams as a queue of the one engine (SSF-4), on every store: only enabled
/// push streams' pending SETs are claimed, per stream within its slots; outcomes finish or
/// reschedule them; a stream switched to push brings its waiting SETs with it.
extension StoreConformanceTests {
    func pushStream(_ id: String, receiver: String, f: StoreFixture) -> StoredStream {
        var stream = f.stream(id, receiver: receiver)
        stream.configuration = #"{"delivery":{"method":"urn:ietf:rfc:8935","endpoint_url":"https://rx.example/in"}}"#
        stream.authorization = [1, 2, 3]
        return stream
    }

    @Test(arguments: StoreKind.allCases)
    func pushedSETsAreClaimedPerStreamAndRecorded(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        for id in ["p1", "p2", "p3"] { try await f.store.insertStream(pushStream(id, receiver: "siem", f: f)) }
        try await f.store.insertStream(f.stream("poll", receiver: "siem"))
        try await f.store.setStreamStatus(id: "p3", .paused, reason: nil, now: f.now)
        for (stream, jti) in [("p1", "a"), ("p1", "b"), ("p2", "c"), ("poll", "d"), ("p3", "e")] {
            try await f.store.insertSecurityEvent(
                NewSecurityEvent(streamID: stream, eventID: nil, jti: jti, claims: "{}", held: stream == "p3"),
                now: f.now
            )
        }
        let oneEach = ClaimRequest(limit: 10, available: [:], defaultAvailable: 1, rotation: 0, lease: .seconds(30))

        let first = try await f.store.claimDueSecurityEvents(oneEach, now: f.now)
        #expect(first.map(\.jti).sorted() == ["a", "c"], "one per push stream; no poll or paused stream")
        let a = try #require(first.first { $0.jti == "a" })
        #expect(a.streamID == "p1" && a.receiver == "siem" && a.sealedAuthorization == [1, 2, 3] && a.attempts == 0)
        #expect(a.configuration.contains("urn:ietf:rfc:8935"))
        #expect(
            try await f.store.claimDueSecurityEvents(oneEach, now: f.now).map(\.jti) == ["b"],
            "leased ones skipped"
        )
        #expect(try await f.store.claimDueSecurityEvents(oneEach, now: f.now).isEmpty)

        // a delivered; b failed; c retried in a minute (paused meanwhile: it stays held).
        let retryAt = f.now + .seconds(60)
        try await f.store.setStreamStatus(id: "p2", .paused, reason: nil, now: f.now)
        try await f.store.recordSecurityEvents([
            SecurityEventReport(id: a.id, streamID: "p1", jti: "a", transition: Self.transition(.done)),
            SecurityEventReport(
                id: try #require(try await f.store.securityEvents(streamID: "p1", limit: 5).first { $0.jti == "b" }).id,
                streamID: "p1",
                jti: "b",
                transition: Self.transition(.failed, reason: "HTTP 400: invalid_key")
            ),
            SecurityEventReport(
                id: try #require(first.first { $0.jti == "c" }).id,
                streamID: "p2",
                jti: "c",
                transition: Self.transition(.retrying, next: retryAt)
            ),
        ])
        let p1 = try await f.store.securityEvents(streamID: "p1", limit: 5)
        #expect(p1.map(\.status) == [.failed, .delivered])
        #expect(p1.first?.error == "HTTP 400: invalid_key")
        let c = try await f.store.securityEvents(streamID: "p2", limit: 5)
        #expect(c.map(\.status) == [.held], "a retried SET of a paused stream stays held")
        #expect(c.first?.error == "HTTP 503")
        try await f.store.setStreamStatus(id: "p2", .enabled, reason: nil, now: f.now)
        #expect(try await f.store.nextSecurityEventDueAt() == retryAt)
        #expect(try await f.store.claimDueSecurityEvents(oneEach, now: f.now).isEmpty, "claimed before its time")
        let retried = try await f.store.claimDueSecurityEvents(oneEach, now: retryAt)
        #expect(retried.map(\.jti) == ["c"] && retried.first?.attempts == 1)
        let stop = retryAt + .seconds(1)

        // A wall clock that stepped back: a due time further than the bound is brought to it.
        let farRetry = stop + .seconds(86_400)
        try await f.store.recordSecurityEvents([
            SecurityEventReport(
                id: try #require(retried.first).id,
                streamID: "p2",
                jti: "c",
                transition: Self.transition(.retrying, next: farRetry)
            )
        ])
        #expect(try await f.store.boundSecurityEventDueTimes(now: stop, latest: .seconds(60)) == 1)
        #expect(try await f.store.nextSecurityEventDueAt() == stop + .seconds(60))
        let again = try #require(try await f.store.claimDueSecurityEvents(oneEach, now: stop + .seconds(60)).first)
        #expect(again.jti == "c")

        // A graceful stop hands the lease back, due now.
        try await f.store.releaseSecurityEventLeases(ids: [again.id], now: stop)
        #expect(try await f.store.nextSecurityEventDueAt() == stop)

        // The poll stream switched to push brings its SET along.
        var poll = pushStream("poll", receiver: "siem", f: f)
        poll.authorization = nil
        try await f.store.replaceStream(poll)
        let switched = try await f.store.claimDueSecurityEvents(oneEach, now: stop)
        #expect(switched.map(\.jti).sorted() == ["c", "d"])
        #expect(switched.first { $0.jti == "d" }?.sealedAuthorization == nil)
    }

    /// Q-4 for SET pushes: a push stream's failures in a row open its breaker, which holds its
    /// SETs back (not claimed, not counted as attempts) until one probe may go; another stream
    /// is not held back; an outcome for a deleted stream leaves no breaker behind.
    @Test(arguments: StoreKind.allCases)
    func aPushStreamsBreakerHoldsItsSETsBack(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        for id in ["down", "up"] { try await f.store.insertStream(pushStream(id, receiver: "siem", f: f)) }
        for (stream, jti) in [("down", "a"), ("down", "b"), ("down", "c")] {
            try await f.store.insertSecurityEvent(
                NewSecurityEvent(streamID: stream, eventID: nil, jti: jti, claims: "{}", held: false),
                now: f.now
            )
        }
        let request = ClaimRequest(limit: 10, available: [:], defaultAvailable: 2, rotation: 0, lease: .seconds(30))
        let claimed = try await f.store.claimDueSecurityEvents(request, now: f.now)
        #expect(claimed.map(\.jti) == ["a", "b"])
        try await f.store.insertSecurityEvent(
            NewSecurityEvent(streamID: "up", eventID: nil, jti: "d", claims: "{}", held: false),
            now: f.now
        )
        let policy = CircuitBreaker.Policy(threshold: 2, initialPause: .seconds(30))
        try await f.store.recordSecurityEvents(
            claimed.map { event in
                SecurityEventReport(
                    id: event.id,
                    streamID: "down",
                    jti: event.jti,
                    transition: Self.transition(.retrying, next: f.now),
                    breaker: BreakerInput(
                        verdict: .retryable(.http5xx, reason: "HTTP 503", retryAfter: nil),
                        policy: policy
                    ),
                    finishedAt: f.now
                )
            }
        )
        // Two failures in a row opened it: all three of its SETs are due, none is claimed; the
        // other stream's are.
        let opened = try await f.store.stream(id: "down")?.breaker
        #expect(opened?.state == .open && opened?.lastError == "HTTP 503", "read with its stream")
        #expect(try await f.store.streams(receiver: "siem").map(\.breaker.state) == [.open, .closed])
        let held = try await f.store.claimDueSecurityEvents(request, now: f.now + .seconds(1))
        #expect(held.map(\.jti) == ["d"], "\(held.map(\.jti))")
        // Due at its probe, not at its SETs' due times: the engine sleeps till then.
        #expect(try await f.store.nextSecurityEventDueAt() == f.now + .seconds(30))
        let probe = try await f.store.claimDueSecurityEvents(request, now: f.now + .seconds(31))
            .filter { $0.streamID == "down" }
        #expect(probe.count == 1, "one probe once the pause is over")
        #expect(
            try await f.store.claimDueSecurityEvents(request, now: f.now + .seconds(32)).filter {
                $0.streamID == "down"
            }
            .isEmpty,
            "one at a time"
        )

        // The probe's answer closes it: the rest go.
        try await f.store.recordSecurityEvents([
            SecurityEventReport(
                id: try #require(probe.first).id,
                streamID: "down",
                jti: try #require(probe.first).jti,
                transition: Self.transition(.done),
                breaker: BreakerInput(verdict: .delivered(standard: true), policy: policy),
                finishedAt: f.now + .seconds(33)
            )
        ])
        #expect(
            try await f.store.claimDueSecurityEvents(request, now: f.now + .seconds(34)).filter {
                $0.streamID == "down"
            }
            .count == 2
        )

        // A receiver that fixes its stream (a replace, or enabling it) is tried at once.
        for fix in ["replace", "enable"] {
            // After the earlier claims' leases: both remaining SETs fail again and open it.
            let at = f.now + .seconds(fix == "replace" ? 70 : 110)
            let failing = try await f.store.claimDueSecurityEvents(request, now: at).filter { $0.streamID == "down" }
            #expect(failing.count == 2, "\(fix)")
            try await f.store.recordSecurityEvents(
                failing.map { event in
                    SecurityEventReport(
                        id: event.id,
                        streamID: "down",
                        jti: event.jti,
                        transition: Self.transition(.retrying, next: at),
                        breaker: BreakerInput(
                            verdict: .retryable(.http5xx, reason: "HTTP 503", retryAfter: nil),
                            policy: policy
                        ),
                        finishedAt: at
                    )
                }
            )
            #expect(try await f.store.stream(id: "down")?.breaker.state == .open, "\(fix)")
            if fix == "replace" {
                try await f.store.replaceStream(try #require(try await f.store.stream(id: "down")))
            } else {
                try await f.store.setStreamStatus(id: "down", .enabled, reason: nil, now: at)
            }
            #expect(try await f.store.stream(id: "down")?.breaker.state == .closed, "\(fix)")
        }

        // A stream deleted while its SET was out: its outcome is taken, and no breaker stays.
        try await f.store.deleteStream(id: "up")
        try await f.store.recordSecurityEvents([
            SecurityEventReport(
                id: try #require(held.first).id,
                streamID: "up",
                jti: "d",
                transition: Self.transition(.retrying, next: f.now),
                breaker: BreakerInput(
                    verdict: .retryable(.http5xx, reason: "HTTP 503", retryAfter: nil),
                    policy: policy
                ),
                finishedAt: f.now
            )
        ])
    }

    static func transition(
        _ state: JobTransition.State,
        next: Timestamp? = nil,
        reason: String? = nil
    )
        -> JobTransition
    {
        var policy = RetryPolicy(jitter: 0)
        policy.window = .seconds(86_400)
        var generator = SystemRandomNumberGenerator()
        let result: AttemptResult =
            switch state {
            case .done: .response(HTTPAnswer(status: 202))
            case .failed: .response(HTTPAnswer(status: 400, rpError: "invalid_key"))
            case .retrying: .response(HTTPAnswer(status: 503))
            }
        var transition = JobTransition.afterAttempt(
            result,
            classifiedBy: PushAnswer.classify,
            attemptsBefore: 0,
            createdAt: Timestamp(millisecondsSince1970: 1_800_000_000_000),
            finishedAt: Timestamp(millisecondsSince1970: 1_800_000_000_000),
            policy: policy,
            using: &generator
        )
        if let next { transition.nextAttemptAt = next }
        if let reason { transition.reason = reason }
        return transition
    }
}

extension StoreConformanceTests {
    /// `ssf.retention`: SETs older than the cutoff go, delivered or not, and the undelivered
    /// ones are counted for the warning.
    @Test(arguments: StoreKind.allCases)
    func setsPastTheirRetentionArePurgedAndTheUndeliveredCounted(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: f.now))
        try await f.store.insertStream(f.stream("s1", receiver: "siem"))
        let old = f.now - .seconds(8 * 86_400)
        for (jti, at) in [("old-pending", old), ("old-acked", old), ("new", f.now)] {
            try await f.store.insertSecurityEvent(
                NewSecurityEvent(streamID: "s1", eventID: nil, jti: jti, claims: "{}", held: false),
                now: at
            )
        }
        #expect(
            try await f.store.finishSecurityEvents(streamID: "s1", delivered: ["old-acked"], failed: [:], now: f.now)
                == 1
        )
        let purged = try await f.store.purgeSecurityEvents(before: f.now - .seconds(7 * 86_400))
        #expect(purged.deleted == 2 && purged.undelivered == 1)
        #expect(try await f.store.securityEvents(streamID: "s1", limit: 10).map(\.jti) == ["new"])
    }
}

extension StoreConformanceTests {
    /// A SET held for days while its stream was paused gets a whole retry window once enabled:
    /// the window counts from the stream's last change when that is later than the SET.
    @Test(arguments: StoreKind.allCases)
    func theRetryWindowOfAHeldSETStartsWhenItsStreamIsEnabled(kind: StoreKind) async throws {
        let f = try await StoreFixture.make(kind)
        let days = f.now - .seconds(2 * 86_400)
        try await f.store.insertReceiver(StoredReceiver(name: "siem", tokenHash: "aa11", createdAt: days))
        var stream = pushStream("p", receiver: "siem", f: f)
        stream.createdAt = days
        stream.updatedAt = days
        try await f.store.insertStream(stream)
        try await f.store.setStreamStatus(id: "p", .paused, reason: nil, now: days)
        try await f.store.insertSecurityEvent(
            NewSecurityEvent(streamID: "p", eventID: nil, jti: "held", claims: "{}", held: true),
            now: days
        )
        try await f.store.setStreamStatus(id: "p", .enabled, reason: nil, now: f.now)
        let oneEach = ClaimRequest(limit: 10, available: [:], defaultAvailable: 1, rotation: 0, lease: .seconds(30))
        let claimed = try await f.store.claimDueSecurityEvents(oneEach, now: f.now)
        #expect(claimed.map(\.jti) == ["held"])
        #expect(claimed.first?.createdAt == f.now, "the window counts from the SET's creation two days ago")
    }
}
