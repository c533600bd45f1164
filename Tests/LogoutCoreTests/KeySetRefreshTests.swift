import LogoutCore
import Testing

/// The issuer-keys paragraph of the rulebook, as rows of a state table (no I/O, no sleeping).
@Suite struct KeySetRefreshTests {
    typealias State = KeySetRefreshState<String>
    let t0 = ContinuousClock.now
    let policy = State.Policy(
        minimumTTL: .seconds(300),
        maximumTTL: .seconds(86_400),
        unknownKeyCooldown: .seconds(10),
        failureBackoffInitial: .seconds(5),
        failureBackoffMaximum: .seconds(300)
    )

    func fail(_ comment: Comment) { Issue.record(comment) }

    func fetched(at time: Duration = .zero, maxAge: Double? = nil) -> State {
        var state = State(policy: policy)
        _ = state.lookup(now: t0 + time)
        state.refreshSucceeded("keys-1", maxAge: maxAge, now: t0 + time)
        return state
    }

    @Test func nothingCachedMeansFetchAndOthersJoin() {
        var state = State(policy: policy)
        guard case .fetch = state.lookup(now: t0) else { return fail("no fetch") }
        guard case .join = state.lookup(now: t0) else { return fail("a second fetch started") }
    }

    @Test func freshKeysAnswerStaleKeysAnswerAndRefreshOnce() {
        var state = fetched()
        guard case .use("keys-1") = state.lookup(now: t0 + .seconds(299)) else { return fail("not fresh") }
        guard case .useAndRefresh("keys-1") = state.lookup(now: t0 + .seconds(300)) else {
            return fail("stale keys did not start a refresh")
        }
        guard case .use("keys-1") = state.lookup(now: t0 + .seconds(301)) else {
            return fail("a second refresh started while one runs")
        }
    }

    @Test func aFailedRefreshBacksOffAndCachedKeysStillAnswer() {
        var state = fetched()
        _ = state.lookup(now: t0 + .seconds(400))
        #expect(state.refreshFailed(now: t0 + .seconds(401)) == .seconds(5))
        guard case .use = state.lookup(now: t0 + .seconds(405)) else { return fail("refreshed inside backoff") }
        guard case .useAndRefresh = state.lookup(now: t0 + .seconds(406)) else { return fail("no retry") }
        #expect(state.refreshFailed(now: t0 + .seconds(407)) == .seconds(10))
        _ = state.lookup(now: t0 + .seconds(417))
        #expect(state.refreshFailed(now: t0 + .seconds(418)) == .seconds(20))
        for _ in 0..<20 {
            _ = state.unknownKeyID(now: t0 + .seconds(100_000))
            state.refreshFailed(now: t0 + .seconds(100_000))
        }
        #expect(state.backoffRemaining(now: t0 + .seconds(100_000)) == .seconds(300))
    }

    @Test func withNothingCachedAFailureAnswers503UntilTheBackoffEnds() {
        var state = State(policy: policy)
        _ = state.lookup(now: t0)
        state.refreshFailed(now: t0)
        guard case .unavailable(let wait) = state.lookup(now: t0 + .seconds(2)) else {
            return fail("a request waited on a failing fetch again")
        }
        #expect(wait == .seconds(3))
        guard case .fetch = state.lookup(now: t0 + .seconds(5)) else { return fail("no retry") }
    }

    /// The measured defect: a new kid less than a minute after our fetch was refused (400).
    @Test(arguments: [
        (Duration.seconds(0), State.UnknownKeyAction.retryLater(.seconds(10))),
        (.seconds(3), .retryLater(.seconds(7))),
        (.milliseconds(9_500), .retryLater(.milliseconds(500))),
        (.seconds(10), .refresh),
        (.seconds(59), .refresh),
    ])
    func unknownKidRefreshesOutsideTheCooldown(after: Duration, expected: State.UnknownKeyAction) {
        var state = fetched()
        #expect(state.unknownKeyID(now: t0 + after) == expected)
    }

    @Test func unknownKidJoinsARunningRefreshAndThenCoolsDown() {
        var state = fetched()
        #expect(state.unknownKeyID(now: t0 + .seconds(20)) == .refresh)
        #expect(state.unknownKeyID(now: t0 + .seconds(20)) == .join)
        state.refreshSucceeded("keys-2", maxAge: nil, now: t0 + .seconds(21))
        #expect(state.unknownKeyID(now: t0 + .seconds(22)) == .retryLater(.seconds(8)))
    }

    @Test func unknownKidDuringAFailureBackoffWaitsForIt() {
        var state = fetched()
        _ = state.unknownKeyID(now: t0 + .seconds(20))
        state.refreshFailed(now: t0 + .seconds(20))
        #expect(state.unknownKeyID(now: t0 + .seconds(21)) == .retryLater(.seconds(9)))
    }

    /// `max-age` decides the TTL within bounds; a value that is not a finite positive number is
    /// ignored (the minimum TTL applies).
    @Test(arguments: [
        (nil as Double?, Duration.seconds(300)),
        (600, .seconds(600)),
        (60, .seconds(300)),
        (1e12, .seconds(86_400)),
        (0, .seconds(300)),
        (-5, .seconds(300)),
        (.nan, .seconds(300)),
        (.infinity, .seconds(300)),
    ])
    func maxAgeBoundsTheTTL(maxAge: Double?, ttl: Duration) {
        var state = fetched(maxAge: maxAge)
        guard case .use = state.lookup(now: t0 + ttl - .milliseconds(1)) else { return fail("expired early") }
        guard case .useAndRefresh = state.lookup(now: t0 + ttl) else { return fail("kept too long") }
    }
}

@Suite struct SafeTextTests {
    @Test(arguments: [
        ("alice", false), ("alice\u{0}zz", true), ("a\nb", true), ("a\u{7F}", true), ("é ü 漢", false),
        ("tab\there", true),
    ])
    func controlCharacters(value: String, has: Bool) {
        #expect(SafeText.hasControlCharacters(value) == has)
    }

    @Test func printableReplacesControlsAndFormatCharactersAndCuts() {
        #expect(SafeText.printable("a\u{0}b\nc\u{202E}d") == "a?b?c?d")
        #expect(
            SafeText.printable(String(repeating: "x", count: 100), limit: 10) == String(repeating: "x", count: 10) + "…"
        )
        #expect(quoted(String(repeating: "k", count: 20_000)).count == 67)
    }
}

@Suite struct SessionDefaultsTests {
    /// RES-3 / C4: which RP-facing sid a session registration gets when it names none.
    @Test(arguments: [
        ("RP's tokens come from the session's issuer", nil as String?, false, "https://idp", "up" as String?),
        ("RP hears from logoutd", nil, false, "https://logoutd", nil),
        ("registered explicitly", "rp-s", false, "https://logoutd", "rp-s"),
        ("registered as null", nil, true, "https://idp", nil),
    ])
    func rpSid(name: String, rpSid: String?, none: Bool, rpTokenIssuer: String, expected: String?) {
        let chosen = SessionDefaults.rpSid(
            registered: rpSid,
            registeredAsNone: none,
            sid: "up",
            sessionIssuer: "https://idp",
            rpTokenIssuer: rpTokenIssuer
        )
        #expect(chosen == expected, "\(name)")
    }
}
