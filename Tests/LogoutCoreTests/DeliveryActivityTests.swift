import LogoutCore
import Testing

/// The delivery log page's per-minute counts: the window, and the store's counts in their
/// minutes (the bars drawn from them are the page's: `ActivityChartTests`).
@Suite struct DeliveryActivityTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_123_456)

    @Test func theWindowEndsWithTheCurrentMinute() {
        let (start, minutes) = DeliveryActivity.window(endingAt: Self.now)
        #expect(minutes == 60)
        #expect(start.millisecondsSince1970 % 60_000 == 0)
        #expect(start + .seconds(60 * 59) <= Self.now && Self.now < start + .seconds(60 * 60))
    }

    @Test func countsLandInTheirMinuteAndOutsidersAreDropped() {
        let (start, minutes) = DeliveryActivity.window(endingAt: Self.now)
        let activity = DeliveryActivity.assemble(
            start: start,
            minutes: minutes,
            counts: [
                .init(minute: 0, series: .delivered, count: 3), .init(minute: 0, series: .failed, count: 1),
                .init(minute: 59, series: .retried, count: 2), .init(minute: 60, series: .skipped, count: 9),
                .init(minute: -1, series: .skipped, count: 9),
            ]
        )
        #expect(activity.minutes.count == 60)
        #expect(activity.minutes[0].delivered == 3 && activity.minutes[0].failed == 1 && activity.minutes[0].total == 4)
        #expect(activity.minutes[59].retried == 2)
        #expect(activity.minutes.map(\.skipped).reduce(0, +) == 0)
    }
}
