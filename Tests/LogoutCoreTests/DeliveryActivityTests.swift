import LogoutCore
import Testing

/// The delivery log page's per-minute chart: the window, the store's counts in their minutes,
/// and the bars drawn from them.
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

    @Test(arguments: [(1, 1), (3, 5), (7, 10), (11, 20), (48, 50), (51, 100), (101, 200)])
    func theAxisRoundsUp(peak: Int, axis: Int) {
        var minute = DeliveryActivity.Minute(start: Self.now)
        minute.delivered = peak
        #expect(ActivityChart(DeliveryActivity(minutes: [minute]), minuteLabel: { _ in "" }).maximum == axis)
    }

    @Test func barsStackFromTheBaselineInSeriesOrder() {
        var minute = DeliveryActivity.Minute(start: Self.now)
        minute.delivered = 5
        minute.failed = 5
        let chart = ActivityChart(
            DeliveryActivity(minutes: [minute, DeliveryActivity.Minute(start: Self.now)]),
            width: 240,
            height: 120,
            minuteLabel: { _ in "12:00" }
        )
        #expect(chart.bars.map(\.series) == [.delivered, .failed])
        let (delivered, failed) = (chart.bars[0], chart.bars[1])
        #expect(delivered.y + delivered.height == chart.baseline)
        #expect(failed.y + failed.height == delivered.y)
        #expect(failed.y == chart.baseline - (chart.baseline - 8), "a full bar reaches the top of the plot")
        #expect(delivered.title == "12:00 — 5 delivered")
        #expect(chart.totals[.delivered] == 5 && chart.totals[.retried] == 0)
        #expect(chart.times.map(\.text) == ["12:00"])
    }
}
