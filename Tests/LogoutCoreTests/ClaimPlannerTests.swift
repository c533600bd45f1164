import LogoutCore
import Testing

/// DEL-7 and Q-4 as both stores claim: targets in rotation, each within its slots, the overall
/// limit, the cluster-wide cap, and its breaker's admission.
@Suite struct ClaimPlannerTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_000_000)
    static let request = ClaimRequest(
        limit: 10,
        available: ["shop": 3],
        defaultAvailable: 2,
        rotation: 0,
        lease: .seconds(60)
    )

    static func breaker(_ state: CircuitBreaker.State, probeIn: Duration? = nil) -> CircuitBreaker {
        var breaker = CircuitBreaker()
        breaker.state = state
        breaker.nextProbeAt = probeIn.map { now + $0 }
        return breaker
    }

    @Test func theRoundStartsAtTheRotation() {
        #expect(ClaimPlanner.round(["a", "b", "c"], rotation: 0) == ["a", "b", "c"])
        #expect(ClaimPlanner.round(["a", "b", "c"], rotation: 4) == ["b", "c", "a"])
        #expect(ClaimPlanner.round([String](), rotation: 7) == [])
    }

    @Test(
        arguments: [
            ("its own slots", "shop", 10, CircuitBreaker.State.closed, nil, nil, 3, false),
            ("the default slots", "wiki", 10, .closed, nil, nil, 2, false),
            ("what is left of the limit", "shop", 1, .closed, nil, nil, 1, false),
            ("an open breaker before its probe", "shop", 10, .open, Duration.seconds(5), nil, 0, false),
            ("an open breaker whose pause is over", "shop", 10, .open, Duration.seconds(0), nil, 1, true),
            ("a probe already out", "shop", 10, .probing, Duration.seconds(30), nil, 0, false),
            ("the cluster-wide cap", "shop", 10, .closed, nil, 7, 1, false),
            ("a cap already reached", "shop", 10, .closed, nil, 9, 0, false),
        ] as [(String, String, Int, CircuitBreaker.State, Duration?, Int?, Int, Bool)]
    )
    func slots(
        name: String,
        target: String,
        remaining: Int,
        state: CircuitBreaker.State,
        probeIn: Duration?,
        leased: Int?,
        count: Int,
        probe: Bool
    ) {
        let slots = ClaimPlanner.slots(
            for: target,
            Self.request,
            remaining: remaining,
            breaker: Self.breaker(state, probeIn: probeIn),
            now: Self.now,
            leasedElsewhere: leased,
            cap: 8
        )
        #expect(slots == ClaimPlanner.Slots(count: count, probe: probe), "\(name)")
    }

    @Test func aLeasedProbeIsRecordedAndNothingElse() {
        let open = Self.breaker(.open, probeIn: .zero)
        let probe = ClaimPlanner.Slots(count: 1, probe: true)
        let saved = ClaimPlanner.afterClaim(open, slots: probe, leased: 1, now: Self.now, lease: .seconds(60))
        #expect(saved?.state == .probing && saved?.nextProbeAt == Self.now + .seconds(60))
        #expect(ClaimPlanner.afterClaim(open, slots: probe, leased: 0, now: Self.now, lease: .seconds(60)) == nil)
        let plain = ClaimPlanner.Slots(count: 3, probe: false)
        #expect(
            ClaimPlanner.afterClaim(CircuitBreaker(), slots: plain, leased: 3, now: Self.now, lease: .seconds(60))
                == nil
        )
    }
}
