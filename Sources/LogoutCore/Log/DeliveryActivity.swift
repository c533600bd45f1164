/// How deliveries ended, minute by minute, over the last hour: the delivery log page's chart
/// and `GET /admin/v1/deliveries/activity`. `retried` counts attempts that failed and scheduled
/// another, so an RP that is down shows before its deliveries run out of attempts.
public struct DeliveryActivity: Sendable, Equatable, Codable {
    public enum Series: String, Sendable, Codable, CaseIterable {
        case delivered, retried, failed, skipped
    }

    public struct Minute: Sendable, Equatable, Codable {
        public var start: Timestamp
        public var delivered = 0
        public var retried = 0
        public var failed = 0
        public var skipped = 0

        public init(start: Timestamp) { self.start = start }

        public subscript(series: Series) -> Int {
            get {
                switch series {
                case .delivered: delivered
                case .retried: retried
                case .failed: failed
                case .skipped: skipped
                }
            }
            set {
                switch series {
                case .delivered: delivered = newValue
                case .retried: retried = newValue
                case .failed: failed = newValue
                case .skipped: skipped = newValue
                }
            }
        }

        public var total: Int { Series.allCases.reduce(0) { $0 + self[$1] } }
    }

    /// One count from the store: `minute` is the index from the window's start.
    public struct Count: Sendable, Equatable {
        public var minute: Int
        public var series: Series
        public var count: Int

        public init(minute: Int, series: Series, count: Int) {
            self.minute = minute
            self.series = series
            self.count = count
        }
    }

    public var minutes: [Minute]

    public init(minutes: [Minute]) { self.minutes = minutes }

    /// The window of `minutes` whole minutes that ends with the one `now` is in.
    public static func window(endingAt now: Timestamp, minutes: Int = 60) -> (start: Timestamp, minutes: Int) {
        let minute: Int64 = 60_000
        let currentStart = now.millisecondsSince1970 / minute * minute
        return (Timestamp(millisecondsSince1970: currentStart - Int64(minutes - 1) * minute), minutes)
    }

    /// Places the store's counts in their minutes; counts outside the window are dropped.
    public static func assemble(start: Timestamp, minutes: Int, counts: [Count]) -> DeliveryActivity {
        var result = (0..<minutes).map { Minute(start: start + .seconds(60 * $0)) }
        for count in counts where result.indices.contains(count.minute) {
            result[count.minute][count.series] += count.count
        }
        return DeliveryActivity(minutes: result)
    }
}
