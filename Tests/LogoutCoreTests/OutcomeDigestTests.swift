import LogoutCore
import Testing

/// ADM-4: outcome lines in the journal are bounded per window, whatever the burst; warnings are
/// never lost, only summarized.
@Suite struct OutcomeDigestTests {
    let start = Timestamp(millisecondsSince1970: 1_000_000)

    struct Row: Sendable, CustomTestStringConvertible {
        var kind: OutcomeDigest.Kind
        var count: Int
        /// Lines written in full (the rest at debug).
        var logged: Int
        /// What the summary at the window's end stands for (`nil`: no summary).
        var summarized: Int?
        var testDescription: String { "\(count) × \(kind)" }
    }

    @Test(arguments: [
        Row(kind: .succeeded, count: 1, logged: 0, summarized: 1),
        Row(kind: .succeeded, count: 40_000, logged: 0, summarized: 40_000),
        Row(kind: .retrying, count: 1, logged: 0, summarized: 1),
        Row(kind: .retrying, count: 500, logged: 0, summarized: 500),
        Row(kind: .skipped, count: 7, logged: 0, summarized: 7),
        Row(kind: .failed, count: 1, logged: 1, summarized: nil),
        Row(kind: .failed, count: 3, logged: 3, summarized: nil),
        Row(kind: .failed, count: 4, logged: 3, summarized: 1),
        Row(kind: .failed, count: 400, logged: 3, summarized: 397),
    ])
    func oneKeyInOneWindow(_ row: Row) {
        var digest = OutcomeDigest()
        var logged = 0
        for i in 0..<row.count {
            let decision = digest.note(row.kind, key: "shop", now: start + .milliseconds(i % 9_000))
            if decision == .log { logged += 1 }
        }
        #expect(logged == row.logged)
        #expect(digest.flush(now: start + .seconds(9)) == [], "the window is still open")
        let summaries = digest.flush(now: start + .seconds(10))
        #expect(summaries.map(\.count) == (row.summarized.map { [$0] } ?? []))
        #expect(summaries.allSatisfy { $0.key == "shop" && $0.kind == row.kind && $0.since == start })
        #expect(digest.closesAt == nil, "a flushed digest has no open window")
    }

    @Test func aWindowOpensWithTheFirstOutcomeAfterAQuietSpell() {
        var digest = OutcomeDigest()
        #expect(digest.closesAt == nil)
        #expect(digest.flush(now: start) == [])
        _ = digest.note(.succeeded, key: "shop", now: start)
        #expect(digest.closesAt == start + .seconds(10))
        _ = digest.note(.succeeded, key: "shop", now: start + .seconds(9))
        #expect(digest.closesAt == start + .seconds(10), "later outcomes do not move the window")
        #expect(digest.flush(now: start + .seconds(10)).map(\.count) == [2])
        _ = digest.note(.succeeded, key: "shop", now: start + .seconds(60))
        #expect(digest.closesAt == start + .seconds(70))
        let next = digest.flush(now: start + .seconds(70))
        #expect(next == [OutcomeDigest.Summary(key: "shop", kind: .succeeded, count: 1, since: start + .seconds(60))])
    }

    @Test func eachWindowGivesAKeyItsIndividualFailuresAgain() {
        var digest = OutcomeDigest()
        let first = (0..<5).map { _ in digest.note(.failed, key: "shop", now: start) }
        #expect(first == [.log, .log, .log, .debug, .debug])
        #expect(digest.flush(now: start + .seconds(10)).map(\.count) == [2])
        #expect(digest.note(.failed, key: "shop", now: start + .seconds(11)) == .log)
    }

    @Test func retriesSayTheirCausesAndTheEarliestNextAttempt() {
        var digest = OutcomeDigest()
        for (cause, next) in [("http_5xx", 30), ("http_5xx", 5), ("refused", 12), ("http_5xx", 40)] {
            _ = digest.note(.retrying, key: "shop", cause: cause, nextAttemptAt: start + .seconds(next), now: start)
        }
        let summary = digest.flush(now: start + .seconds(10)).first
        #expect(summary?.count == 4)
        #expect(summary?.causes == ["http_5xx": 3, "refused": 1])
        #expect(summary?.causesText == "http_5xx: 3, refused: 1")
        #expect(summary?.nextAttemptAt == start + .seconds(5))
    }

    @Test func causesBeyondTheLimitAreCountedAsOther() {
        var digest = OutcomeDigest(settings: .init(maximumCauses: 2))
        for cause in ["a", "b", "c", "d", "a"] { _ = digest.note(.skipped, key: "shop", cause: cause, now: start) }
        #expect(digest.flushAll().first?.causes == ["a": 2, "b": 1, "other": 2])
    }

    @Test func amountsAddUp() {
        var digest = OutcomeDigest()
        for deliveries in [100, 0, 42] { _ = digest.note(.succeeded, key: "app1", amount: deliveries, now: start) }
        #expect(digest.flushAll().first?.amount == 142)
    }

    @Test func keysBeyondTheLimitShareOneSummaryAndLogNothingInFull() {
        var digest = OutcomeDigest(settings: .init(maximumKeys: 2))
        #expect(digest.note(.failed, key: "a", now: start) == .log)
        #expect(digest.note(.failed, key: "b", now: start) == .log)
        #expect(digest.note(.failed, key: "c", now: start) == .debug, "a third key has no lines of its own")
        #expect(digest.note(.failed, key: "d", now: start) == .debug)
        #expect(digest.note(.failed, key: "c", now: start) == .debug)
        #expect(digest.note(.failed, key: "a", now: start) == .log, "a key with a summary of its own keeps it")
        _ = digest.note(.succeeded, key: "e", now: start)
        let summaries = digest.flushAll()
        #expect(
            summaries == [
                .init(key: nil, kind: .succeeded, count: 1, keys: 3, since: start),
                .init(key: nil, kind: .failed, count: 3, keys: 3, since: start),
            ]
        )
    }

    /// The bound a burst cannot pass: 10,000 RPs each with every kind of outcome, many times,
    /// in one window.
    @Test func aWindowHasBoundedLinesWhateverTheBurst() {
        let settings = OutcomeDigest.Settings()
        var digest = OutcomeDigest(settings: settings)
        var lines = 0
        for round in 0..<4 {
            for rp in 0..<10_000 {
                for kind in OutcomeDigest.Kind.allCases {
                    let now = start + .milliseconds(round * 1_000 + rp % 1_000)
                    if digest.note(kind, key: "rp\(rp)", cause: "c\(rp % 7)", now: now) == .log { lines += 1 }
                }
            }
        }
        lines += digest.flush(now: start + .seconds(10)).count
        let bound = (settings.maximumKeys + 1) * (OutcomeDigest.Kind.allCases.count + settings.individual[.failed]!)
        #expect(lines <= bound)
        #expect(lines == 100 * (4 + 3) + 4, "every kept key's lines and the others' four summaries")
    }

    @Test func aClockThatStepsBackClosesTheWindow() {
        var digest = OutcomeDigest()
        _ = digest.note(.retrying, key: "shop", now: start)
        #expect(digest.flush(now: start - .seconds(1)).count == 1)
    }

    @Test func summariesComeKeyByKeyInOrderTheOtherKeysLast() {
        var digest = OutcomeDigest(settings: .init(maximumKeys: 2))
        for key in ["zeta", "alpha", "mid"] {
            _ = digest.note(.skipped, key: key, now: start)
            _ = digest.note(.succeeded, key: key, now: start)
        }
        let order = digest.flushAll().map { "\($0.key ?? "*") \($0.kind)" }
        #expect(
            order == ["alpha succeeded", "alpha skipped", "zeta succeeded", "zeta skipped", "* succeeded", "* skipped"]
        )
    }
}
