import LogoutCore
import LogoutHTTP
import Testing

/// The delivery log page's chart: the bars drawn from a minute's counts, and its axis.
@Suite struct ActivityChartTests {
    static let now = Timestamp(millisecondsSince1970: 1_800_000_123_456)

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
