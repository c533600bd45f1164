import LogoutCore

/// The delivery log page's chart, laid out here so the template only draws rectangles: one
/// stacked bar per minute (delivered at the bottom), a y-axis rounded to a readable maximum, and
/// a label every ten minutes. Values in, geometry out.
public struct ActivityChart: Sendable, Equatable {
    public struct Bar: Sendable, Equatable {
        public var x: Int
        public var y: Int
        public var width: Int
        public var height: Int
        public var series: DeliveryActivity.Series
        /// The tooltip: `12:34 — 5 delivered`.
        public var title: String
    }

    public struct Label: Sendable, Equatable {
        public var position: Int
        public var text: String
    }

    public var width: Int
    public var height: Int
    /// The plot's bottom edge, above the time labels.
    public var baseline: Int
    public var left: Int
    public var bars: [Bar]
    /// Horizontal grid lines with their value.
    public var grid: [Label]
    public var times: [Label]
    public var maximum: Int
    public var totals: [DeliveryActivity.Series: Int]

    /// - Parameter minuteLabel: `HH:mm` of a minute's start, in the reader's terms.
    public init(
        _ activity: DeliveryActivity,
        width: Int = 720,
        height: Int = 180,
        minuteLabel: (Timestamp) -> String
    ) {
        self.width = width
        self.height = height
        let left = 40
        let baseline = height - 20
        let plotHeight = baseline - 8
        let peak = activity.minutes.map(\.total).max() ?? 0
        let maximum = Self.roundedUp(max(peak, 1))
        self.left = left
        self.baseline = baseline
        self.maximum = maximum
        let count = max(activity.minutes.count, 1)
        let slot = (width - left) / count
        var bars: [Bar] = []
        var totals: [DeliveryActivity.Series: Int] = [:]
        for (index, minute) in activity.minutes.enumerated() {
            var top = baseline
            for series in DeliveryActivity.Series.allCases {
                let value = minute[series]
                totals[series, default: 0] += value
                guard value > 0 else { continue }
                let barHeight = max(1, value * plotHeight / maximum)
                top -= barHeight
                bars.append(
                    Bar(
                        x: left + index * slot + 1,
                        y: top,
                        width: max(1, slot - 2),
                        height: barHeight,
                        series: series,
                        title: "\(minuteLabel(minute.start)) — \(value) \(series.rawValue)"
                    )
                )
            }
        }
        self.bars = bars
        self.totals = totals
        grid = Array(Set([0, maximum / 2, maximum])).sorted().map { value in
            Label(position: baseline - value * plotHeight / maximum, text: String(value))
        }
        times = stride(from: 0, to: activity.minutes.count, by: 10).map { index in
            Label(position: left + index * slot, text: minuteLabel(activity.minutes[index].start))
        }
    }

    /// 1, 2, 5, 10, 20, 50…: the smallest such value at or above `value`.
    static func roundedUp(_ value: Int) -> Int {
        var scale = 1
        while true {
            for step in [1, 2, 5] where step * scale >= value { return step * scale }
            scale *= 10
        }
    }
}
